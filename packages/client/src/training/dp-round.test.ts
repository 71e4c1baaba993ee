// The DP requirements a node reads from a fit config, and the ones it refuses with a coded error.
import { describe, expect, it } from 'vitest';
import { dpRoundOf, localSgdRequest } from './dp-round.js';

const ring = { bits: 32, scale: 2 ** 20, maxSummands: 4, clientBound: 2 ** 29, l2Clip: 1 };

describe('dpRoundOf', () => {
  it('reads each mode', () => {
    expect(dpRoundOf({}, undefined)).toBeNull();
    expect(dpRoundOf({ dpMode: 'off' }, undefined)).toBeNull();
    expect(dpRoundOf({ dpMode: 'central', dpClip: 2 }, undefined)).toEqual({ mode: 'central', clip: 2 });
    expect(dpRoundOf({ dpMode: 'distributed', dpClip: 1, dpLocalVariance: 9, dpNoise: 'skellam' }, ring)).toEqual({ mode: 'distributed', clip: 1, localVariance: 9, noise: 'skellam' });
    expect(dpRoundOf({ dpMode: 'local-sgd', dpLocalNoise: 1, dpLocalClip: 1, dpDelta: 1e-5 }, undefined)).toEqual({ mode: 'local-sgd' });
    expect(localSgdRequest({ dpLocalNoise: 1.5, dpLocalClip: 0.5, dpDelta: 1e-6 })).toEqual({ noiseMultiplier: 1.5, l2Clip: 0.5, delta: 1e-6 });
  });

  it('refuses what it cannot meet with FT_ERR_DP_REFUSED', () => {
    const bad: [Record<string, unknown>, typeof ring | undefined][] = [
      [{ dpMode: 'future' }, undefined],
      [{ dpMode: 7 }, undefined],
      [{ dpMode: 'central' }, undefined],
      [{ dpMode: 'central', dpClip: 0 }, undefined],
      [{ dpMode: 'central', dpClip: NaN }, undefined],
      [{ dpMode: 'central', dpClip: 'x' }, undefined],
      [{ dpMode: 'distributed', dpClip: 1, dpLocalVariance: 9 }, undefined],
      [{ dpMode: 'distributed', dpClip: 1 }, ring],
      [{ dpMode: 'distributed', dpClip: 1, dpLocalVariance: -1 }, ring],
      [{ dpMode: 'distributed', dpClip: 1, dpLocalVariance: 9, dpNoise: 'laplace' }, ring],
      [{ dpMode: 'local-sgd', dpLocalNoise: 0, dpLocalClip: 1, dpDelta: 1e-5 }, undefined],
      [{ dpMode: 'local-sgd', dpLocalNoise: 1, dpLocalClip: 1, dpDelta: 1 }, undefined],
      [{ dpMode: 'local-sgd', dpLocalNoise: Infinity, dpLocalClip: 1, dpDelta: 1e-5 }, undefined],
      [{ dpMode: 'local-sgd', dpLocalClip: 1, dpDelta: 1e-5 }, undefined],
    ];
    for (const [config, secagg] of bad) expect(() => dpRoundOf(config as never, secagg), JSON.stringify(config)).toThrow(expect.objectContaining({ code: 'FT_ERR_DP_REFUSED' }));
  });
});
