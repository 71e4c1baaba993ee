// Dropout injection for simulations: each selected node vanishes in a round with probability p,
// at a point drawn uniformly from the places a real node can vanish.
import type { RandomSource } from '@fedtune/shared';
import type { FaultInjector } from '../federated-client.js';

const POINTS = ['before-train', 'mid-upload'] as const;

export function dropoutFaults(probability: number, random: RandomSource): FaultInjector {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`dropout must be in [0, 1], got ${probability}`);
  const planned = new Map<number, (typeof POINTS)[number] | null>();
  return {
    shouldDrop(round, point) {
      if (!planned.has(round)) planned.set(round, random.float() < probability ? POINTS[random.int(POINTS.length)]! : null);
      return planned.get(round) === point;
    },
  };
}
