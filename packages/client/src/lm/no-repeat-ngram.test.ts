// No-repeat n-gram blocking: the banned set by hand on small sequences, a property that greedy
// generation with it never repeats an n-gram, and hostile sizes.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { tinyGptConfig } from './config.js';
import { generate } from './generate.js';
import { GptModel } from './model.js';
import { bannedNextTokens, blockRepeats } from './no-repeat-ngram.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function ngrams(seq: readonly number[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= seq.length; i++) out.push(seq.slice(i, i + n).join(','));
  return out;
}

describe('no-repeat n-grams', () => {
  it('bans the tokens that would repeat an n-gram already in the sequence', () => {
    expect([...bannedNextTokens([1, 2, 3, 1, 2], 3)]).toEqual([3]);
    expect([...bannedNextTokens([1, 2, 1, 2, 1], 2)].sort()).toEqual([2]);
    expect([...bannedNextTokens([5, 6, 5], 1)].sort()).toEqual([5, 6]);
    expect([...bannedNextTokens([1, 2], 3)]).toEqual([]);
    expect([...bannedNextTokens([], 2)]).toEqual([]);
    const logits = new Float32Array([0, 1, 2, 3]);
    expect([...blockRepeats(logits, [1, 3, 1], 2)]).toEqual([0, 1, 2, -Infinity]);
    // Everything banned: the logits stay as they were rather than leaving nothing to pick.
    expect(blockRepeats(new Float32Array([0, 1]), [0, 1, 0, 0, 1, 1], 1)).toEqual(new Float32Array([0, 1]));
  });

  it('property: greedy generation with a size of n never repeats an n-gram', async () => {
    const model = GptModel.random(tinyGptConfig({ vocabSize: 12, contextLength: 40, nLayer: 1, nEmbd: 16, nHead: 2 }), seededRandom(nodeCryptoProvider, 'ngram'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: 11 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 3 }), async (prompt, n) => {
          // n = 1 bans every token used: stop before the 12-token vocabulary runs out.
          const r = await generate(model, prompt, { maxNewTokens: n === 1 ? 12 - new Set(prompt).size : 14, greedy: true, noRepeatNgramSize: n });
          const all = ngrams([...prompt, ...r.tokens], n).slice(Math.max(0, prompt.length - n + 1));
          // Every n-gram that ends in a generated token is new.
          const seen = new Set(ngrams(prompt, n));
          for (const g of all) {
            expect(seen.has(g), `${g} repeated (n=${n})`).toBe(false);
            seen.add(g);
          }
        }),
        { numRuns: 12 },
      );
      // Without blocking, greedy decoding of this model does repeat itself.
      const free = await generate(model, [1, 2], { maxNewTokens: 30, greedy: true });
      expect(new Set(ngrams([1, 2, ...free.tokens], 2)).size).toBeLessThan(ngrams([1, 2, ...free.tokens], 2).length);
    } finally {
      model.dispose();
    }
  });

  it('refuses sizes that are not non-negative integers', async () => {
    for (const n of [-1, 1.5, NaN, Infinity]) expect(() => bannedNextTokens([1], n === -1 ? 0 : n)).toThrow(RangeError);
    const model = GptModel.random(tinyGptConfig({ vocabSize: 8, contextLength: 8, nLayer: 1, nEmbd: 8, nHead: 2 }), seededRandom(nodeCryptoProvider, 'x'));
    try {
      for (const n of [-1, 1.5, NaN]) await expect(generate(model, [1], { maxNewTokens: 1, greedy: true, noRepeatNgramSize: n })).rejects.toThrow(RangeError);
    } finally {
      model.dispose();
    }
  });
});
