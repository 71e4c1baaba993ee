// Canary exposure: log-perplexities agree with a direct computation from the logits, a model that
// memorised a secret exposes it, and an untrained one does not.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { createCausalLmTrainer } from '../lm/causal-lm-trainer.js';
import { tinyGptConfig } from '../lm/config.js';
import { GptModel } from '../lm/model.js';
import { packDocuments } from '../lm/text-data.js';
import { ByteTokenizer } from '../lm/tokenizer.js';
import { candidateExposure, canaryExposure, continuationLogPerplexities, logPerplexities } from './exposure.js';

const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);
const tok = new ByteTokenizer();
const PREFIX = 'secret code: ';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('canary exposure (Carlini et al. 2019)', () => {
  it('log-perplexity equals -sum log2 p over the continuation, from the logits directly', async () => {
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 32, nLayer: 1, nHead: 2, nEmbd: 16 });
    const model = GptModel.random(config, rnd('lp'));
    const [bits] = await logPerplexities(model, tok, PREFIX, ['42.']);
    const ids = tok.encode(PREFIX + '42.');
    const logits = model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')).logits;
    const lp = (await tf.logSoftmax(logits).array()) as number[][][];
    let expected = 0;
    for (let i = tok.encode(PREFIX).length; i < ids.length; i++) expected -= lp[0]![i - 1]![ids[i]!]! / Math.LN2;
    // float32 log-softmax summed over 3 tokens: agree to ~1e-4 bits.
    expect(bits!).toBeCloseTo(expected, 3);
    await expect(logPerplexities(model, tok, PREFIX, ['1', '22'])).rejects.toThrow(RangeError);
    model.dispose();
  });

  it('a model trained on the canary exposes it; an untrained one does not', async () => {
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 24, nLayer: 1, nHead: 2, nEmbd: 32 });
    const canary = { prefix: PREFIX, secret: '7319', suffix: '.' };
    const fresh = GptModel.random(config, rnd('fresh'));
    const before = await canaryExposure(fresh, tok, canary, 4, 300, rnd('cand'));
    expect(before.exposureEmpirical).toBeLessThan(5);
    const data = packDocuments([tok.encode((PREFIX + '7319. ').repeat(4))], 24, tok.eosId, tok.specialId('<|pad|>'));
    const trainer = await createCausalLmTrainer({ model: GptModel.random(config, rnd('fresh')), train: data, validation: data, random: rnd('t'), backend: 'cpu' });
    await trainer.fit({ epochs: 60, batchSize: 8, learningRate: 1e-2, weightDecay: 0 });
    const after = await canaryExposure(trainer.model, tok, canary, 4, 300, rnd('cand'));
    expect(after.atLeastAsLikely).toBe(0);
    expect(after.exposureEmpirical).toBeCloseTo(Math.log2(301), 9);
    expect(after.exposureExtrapolated).toBeGreaterThan(after.exposureEmpirical);
    expect(after.exposureExtrapolated).toBeLessThanOrEqual(after.maxBits);
    expect(after.maxBits).toBeCloseTo(4 * Math.log2(10), 12);
    trainer.dispose();
    fresh.dispose();
  });
});

describe('exposure over an enumerated candidate set of any token lengths', () => {
  const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 40, nLayer: 1, nHead: 2, nEmbd: 16 });

  it('agrees with logPerplexities on equal lengths, and padding never changes a candidate\'s score', async () => {
    const model = GptModel.random(config, rnd('cont'));
    const prefix = tok.encode(PREFIX);
    const same = ['12.', '34.', '56.'];
    const a = await continuationLogPerplexities(model, prefix, same.map((c) => tok.encode(c)));
    const b = await logPerplexities(model, tok, PREFIX, same);
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 4));
    const mixed = ['x', 'a longer one', 'mid size'];
    const together = await continuationLogPerplexities(model, prefix, mixed.map((c) => tok.encode(c)));
    for (const [i, c] of mixed.entries()) expect(together[i]).toBeCloseTo((await continuationLogPerplexities(model, prefix, [tok.encode(c)]))[0]!, 4);
    await expect(continuationLogPerplexities(model, [], [[1]])).rejects.toThrow(/prefix is empty/);
    await expect(continuationLogPerplexities(model, prefix, [[]])).rejects.toThrow(/empty/);
    await expect(continuationLogPerplexities(model, prefix, [Array(40).fill(1)])).rejects.toThrow(/context/);
    model.dispose();
  });

  it('ranks the secret; a random candidate\'s mean exposure is log2 N - log2(N!)/N; a memorised secret gets the maximum', async () => {
    const candidates = Array.from({ length: 32 }, (_, i) => ` item ${String.fromCharCode(97 + (i % 26))}${i}`);
    const secret = candidates[7]!;
    const model = GptModel.random(config, rnd('rank'));
    const before = await candidateExposure(model, tok, tok.encode(PREFIX), secret, candidates);
    let logFact = 0;
    for (let k = 2; k <= 32; k++) logFact += Math.log2(k);
    expect(before.randomExpected).toBeCloseTo(5 - logFact / 32, 6);
    expect(before.maxBits).toBe(5);
    expect(before.exposure).toBeCloseTo(5 - Math.log2(before.rank), 9);
    // Train on the secret until it is memorised: rank 1, full exposure.
    const trainer = await createCausalLmTrainer({ model, train: packDocuments(Array(16).fill(tok.encode(PREFIX + secret)), 32, tok.eosId, tok.eosId), validation: packDocuments([], 32, tok.eosId, tok.eosId), random: rnd('t'), backend: 'cpu' });
    await trainer.fit({ epochs: 30, batchSize: 8, learningRate: 1e-2 });
    const after = await candidateExposure(model, tok, tok.encode(PREFIX), secret, candidates);
    expect(after.rank).toBe(1);
    expect(after.exposure).toBe(5);
    expect(after.exposureSkewNormal).toBeGreaterThan(after.exposure - 1);
    await expect(candidateExposure(model, tok, tok.encode(PREFIX), ' not there', candidates)).rejects.toThrow(/one of the candidates/);
    trainer.dispose();
  });
});
