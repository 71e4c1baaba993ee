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
import { canaryExposure, logPerplexities } from './exposure.js';

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
