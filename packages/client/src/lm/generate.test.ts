import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { tinyGptConfig } from './config.js';
import { generate, generateText } from './generate.js';
import { GptModel } from './model.js';
import { sampleToken } from './sampling.js';
import { ByteTokenizer } from './tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);

describe('generate', () => {
  it('gives the same tokens and logits with and without the KV cache', async () => {
    const model = GptModel.random(tinyGptConfig({ vocabSize: 17, contextLength: 16, nLayer: 2, nHead: 2, nEmbd: 16 }), rnd('gen'));
    for (const sampling of [{ greedy: true }, { temperature: 0.9, topK: 5, topP: 0.9 }]) {
      const cached = await generate(model, [1, 2, 3], { maxNewTokens: 10, ...sampling, random: rnd('s'), returnLogits: true });
      const plain = await generate(model, [1, 2, 3], { maxNewTokens: 10, ...sampling, random: rnd('s'), returnLogits: true, useCache: false });
      expect(cached.tokens).toEqual(plain.tokens);
      // float32: the cached path concatenates keys instead of recomputing them; same ops, same order per
      // position, so differences stay at rounding level (1e-5 on logits of order 1).
      cached.logits!.forEach((l, i) => {
        for (let j = 0; j < l.length; j++) expect(Math.abs(l[j]! - plain.logits![i]![j]!)).toBeLessThan(1e-5);
      });
    }
    model.dispose();
  });

  it('stops at maxNewTokens, the context, or a stop sequence', async () => {
    const model = GptModel.random(tinyGptConfig({ vocabSize: 5, contextLength: 6, nLayer: 1, nHead: 1, nEmbd: 4 }), rnd('stop'));
    const r = await generate(model, [1, 2], { maxNewTokens: 10, greedy: true });
    expect(r.stoppedBy).toBe('context');
    expect(r.tokens).toHaveLength(4);
    const first = r.tokens[0]!;
    const s = await generate(model, [1, 2], { maxNewTokens: 3, greedy: true, stopSequences: [[first]] });
    expect(s).toEqual({ tokens: [first], stoppedBy: 'stopSequence' });
    expect((await generate(model, [1], { maxNewTokens: 2, greedy: true })).stoppedBy).toBe('maxNewTokens');
    await expect(generate(model, [], { maxNewTokens: 1 })).rejects.toThrow(RangeError);
    await expect(generate(model, [1], { maxNewTokens: 1, temperature: -1 })).rejects.toThrow(RangeError);
    model.dispose();
  });

  it('cuts text at a string stop sequence', async () => {
    const tok = new ByteTokenizer();
    const model = GptModel.random(tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 32, nLayer: 1, nHead: 1, nEmbd: 8 }), rnd('text'));
    const free = await generateText(model, tok, 'ab', { maxNewTokens: 6, temperature: 1, random: rnd('t') });
    const stopAt = free.text.slice(2, 3);
    const cut = await generateText(model, tok, 'ab', { maxNewTokens: 6, temperature: 1, random: rnd('t'), stop: [stopAt] });
    expect(cut.stoppedBy).toBe('stopSequence');
    expect(free.text.startsWith(cut.text)).toBe(true);
    expect(cut.text.includes(stopAt)).toBe(false);
    model.dispose();
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.from([0, 3, 1, 2]);
  it('greedy and temperature 0 take the arg-max', () => {
    expect(sampleToken(logits, { greedy: true }, undefined)).toBe(1);
    expect(sampleToken(logits, { temperature: 0 }, undefined)).toBe(1);
  });
  it('top-k 2 only ever yields the two best tokens, top-p keeps the nucleus', () => {
    const r = rnd('k');
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken(logits, { topK: 2 }, r));
    expect([...seen].sort()).toEqual([1, 3]);
    // softmax([0,3,1,2]) = [.032, .644, .087, .237]: p = 0.6 keeps token 1 alone.
    for (let i = 0; i < 50; i++) expect(sampleToken(logits, { topP: 0.6 }, r)).toBe(1);
  });
  it('follows the softmax at temperature 1', () => {
    const r = rnd('freq');
    const counts = [0, 0, 0, 0];
    const n = 4000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, {}, r)]!++;
    // Binomial standard error at p = 0.644, n = 4000 is 0.0076; 4 sigma is 0.03.
    expect(Math.abs(counts[1]! / n - 0.6439)).toBeLessThan(0.03);
  });
});
