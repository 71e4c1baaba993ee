// A language-model node never evaluates on its training rows (issue 15, item 4): with no held-out
// rows, evaluate() reports zero examples (weight 0 in any mean) and early stopping does not run.
// Before, the trainer fell back to the training rows, so a node with an empty validation split
// sent a loss and perplexity computed on the very text it trained on.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { createCausalLmTrainer } from './causal-lm-trainer.js';
import { tinyGptConfig } from './config.js';
import { GptModel } from './model.js';
import { packDocuments } from './text-data.js';
import { ByteTokenizer } from './tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CausalLmTrainer held-out rows', () => {
  it('with an empty validation split, evaluate() reports no examples instead of the training loss', async () => {
    const tok = new ByteTokenizer();
    const pad = tok.specialId('<|pad|>');
    const model = GptModel.random(tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 1, nHead: 1, nEmbd: 8 }), seededRandom(nodeCryptoProvider, 'no-val'));
    const train = packDocuments(['the secret is 123456', 'another note'].map((d) => tok.encode(d)), 16, tok.eosId, pad);
    const empty = packDocuments([], 16, tok.eosId, pad);
    const trainer = await createCausalLmTrainer({ model, train, validation: empty, random: seededRandom(nodeCryptoProvider, 't'), backend: 'cpu' });
    try {
      expect(await trainer.evaluate({})).toEqual({ numExamples: 0, loss: 0, metrics: {} });
      expect(trainer.validationData.rows).toBe(0);
      // Early stopping needs held-out rows: with none it does not run (and does not use training rows).
      const fit = await trainer.fit({ epochs: 2, batchSize: 2, patience: 1 });
      expect(fit.metrics.valLoss).toBeUndefined();
      expect(fit.metrics.epochs).toBe(2);
    } finally {
      trainer.dispose();
    }
  });
});
