// Loss-threshold membership inference: the statistics against hand-computed cases, and a model
// that overfits its training rows is told apart from one that never saw them.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { createCausalLmTrainer } from '../lm/causal-lm-trainer.js';
import { tinyGptConfig } from '../lm/config.js';
import { GptModel } from '../lm/model.js';
import { tokenizeAndPack } from '../lm/text-data.js';
import { ByteTokenizer } from '../lm/tokenizer.js';
import { bootstrapAucInterval, lossThresholdAttack, perSequenceLosses } from './membership.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loss-threshold membership inference (Yeom et al. 2018)', () => {
  it('matches hand-computed AUC and advantage', () => {
    expect(lossThresholdAttack([0.1, 0.2], [0.3, 0.4])).toMatchObject({ auc: 1, advantage: 1 });
    expect(lossThresholdAttack([0.3, 0.4], [0.1, 0.2])).toMatchObject({ auc: 0, advantage: 0 });
    // One tie counts half: pairs (m, n): (0.1, 0.2) win, (0.1, 0.5) win, (0.5, 0.2) loss, (0.5, 0.5) half -> 2.5 / 4.
    expect(lossThresholdAttack([0.1, 0.5], [0.2, 0.5]).auc).toBeCloseTo(0.625, 12);
    expect(() => lossThresholdAttack([], [1])).toThrow(RangeError);
    expect(() => lossThresholdAttack([NaN], [1])).toThrow(RangeError);
  });

  it('tells an overfit model\'s training rows from unseen ones', async () => {
    const tok = new ByteTokenizer();
    const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);
    const docs = Array.from({ length: 16 }, (_, i) => `patient ${i * 37 % 101} takes drug ${String.fromCharCode(97 + (i * 7) % 26)}${i} daily.`);
    const pad = tok.specialId('<|pad|>');
    const members = tokenizeAndPack(docs.slice(0, 8), tok, 32, pad);
    const nonMembers = tokenizeAndPack(docs.slice(8), tok, 32, pad);
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 32, nLayer: 1, nHead: 2, nEmbd: 32 });
    const trainer = await createCausalLmTrainer({ model: GptModel.random(config, rnd('mia')), train: members, validation: members, random: rnd('t'), backend: 'cpu' });
    await trainer.fit({ epochs: 40, batchSize: 8, learningRate: 1e-2, weightDecay: 0 });
    const r = lossThresholdAttack(perSequenceLosses(trainer.model, members), perSequenceLosses(trainer.model, nonMembers));
    expect(r.auc).toBeGreaterThan(0.8);
    expect(r.advantage).toBeGreaterThan(0.5);
    trainer.dispose();
  });
});

describe('bootstrap interval of the AUC (Efron, Tibshirani 1993)', () => {
  it('covers the AUC, narrows with more data, and is reproducible from the seed', () => {
    const r = seededRandom(nodeCryptoProvider, 'losses');
    const members = Array.from({ length: 200 }, () => r.float());
    const nonMembers = Array.from({ length: 200 }, () => r.float() + 0.1);
    const auc = lossThresholdAttack(members, nonMembers).auc;
    const [lo, hi] = bootstrapAucInterval(members, nonMembers, seededRandom(nodeCryptoProvider, 'b'), 1000);
    expect(lo).toBeLessThan(auc);
    expect(hi).toBeGreaterThan(auc);
    // The AUC's standard error here is about 0.028 (Hanley-McNeil), so a 95% interval spans about 0.11.
    expect(hi - lo).toBeGreaterThan(0.07);
    expect(hi - lo).toBeLessThan(0.15);
    expect(bootstrapAucInterval(members, nonMembers, seededRandom(nodeCryptoProvider, 'b'), 1000)).toEqual([lo, hi]);
    const [lo4, hi4] = bootstrapAucInterval([...members, ...members, ...members, ...members], [...nonMembers, ...nonMembers, ...nonMembers, ...nonMembers], seededRandom(nodeCryptoProvider, 'b'), 500);
    expect(hi4 - lo4).toBeLessThan((hi - lo) * 0.75);
  });

  it('refuses hostile arguments', () => {
    const rr = seededRandom(nodeCryptoProvider, 'x');
    expect(() => bootstrapAucInterval([], [1], rr)).toThrow(RangeError);
    expect(() => bootstrapAucInterval([1], [NaN], rr)).toThrow(RangeError);
    expect(() => bootstrapAucInterval([1], [2], rr, 5)).toThrow(/resamples/);
    expect(() => bootstrapAucInterval([1], [2], rr, 100, 1)).toThrow(/level/);
  });
});
