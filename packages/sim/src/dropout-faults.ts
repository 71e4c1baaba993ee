// Dropout injection for simulations: each selected node vanishes in a round with probability p,
// at a point drawn uniformly from the places a real node can vanish.
import type { RandomSource } from '@fedtune/shared';
import type { DropPoint, FaultInjector } from '@fedtune/client';

const PLAIN: readonly DropPoint[] = ['before-train', 'mid-upload'];
// With SecAgg: before training, before keys, after keys, after shares, after the masked input.
const SECAGG: readonly DropPoint[] = ['before-train', 'secagg:AdvertiseKeys', 'secagg:ShareKeys', 'secagg:MaskedInput', 'secagg:Unmask'];

export function dropoutFaults(probability: number, random: RandomSource, secagg = false): FaultInjector {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`dropout must be in [0, 1], got ${probability}`);
  const points = secagg ? SECAGG : PLAIN;
  const planned = new Map<number, DropPoint | null>();
  return {
    shouldDrop(round, point) {
      if (!planned.has(round)) planned.set(round, random.float() < probability ? points[random.int(points.length)]! : null);
      return planned.get(round) === point;
    },
  };
}
