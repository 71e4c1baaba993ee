import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { createCausalLmTrainer } from './causal-lm-trainer.js';
import { tinyGptConfig } from './config.js';
import { generate } from './generate.js';
import { IGNORE_LABEL, maskedLoss } from './loss.js';
import { GptModel } from './model.js';
import { packDocuments, packPromptCompletions, parseJsonl } from './text-data.js';
import { ByteTokenizer } from './tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);
const tok = new ByteTokenizer();
const PAD = tok.specialId('<|pad|>');

describe('text data', () => {
  it('packs documents with EOS separators and masks the padded tail', () => {
    const b = packDocuments([[1, 2, 3], [4]], 4, 9, 0);
    // stream 1 2 3 9 4 9 -> rows [1 2 3 9] [4 pad pad pad]
    expect(b.rows).toBe(2);
    expect(Array.from(b.inputs)).toEqual([1, 2, 3, 9, 4, 0, 0, 0]);
    expect(Array.from(b.labels)).toEqual([2, 3, 9, 4, 9, -1, -1, -1]);
  });
  it('masks prompt tokens in prompt/completion rows', () => {
    const b = packPromptCompletions([{ prompt: [5, 6], completion: [7] }], 5, 9, 0);
    expect(Array.from(b.inputs)).toEqual([5, 6, 7, 0, 0]);
    expect(Array.from(b.labels)).toEqual([IGNORE_LABEL, 7, 9, IGNORE_LABEL, IGNORE_LABEL]);
  });
  it('reads a JSONL field and names a bad line', () => {
    expect(parseJsonl('{"text":"a"}\n\n{"text":"b","x":1}\n', 'text')).toEqual(['a', 'b']);
    expect(() => parseJsonl('{"text":"a"}\n{"nope":1}', 'text')).toThrow(/line 2/);
    expect(() => parseJsonl('not json', 'text')).toThrow(/line 1/);
  });
  it('ignores masked positions in the loss', async () => {
    const model = GptModel.random(tinyGptConfig({ vocabSize: 7, contextLength: 4, nLayer: 1, nHead: 1, nEmbd: 4 }), rnd('mask'));
    const inputs = Int32Array.from([1, 2, 3, 4]);
    const full = maskedLoss(model, { inputs, labels: Int32Array.from([2, 3, 4, 5]), rows: 1, seqLen: 4 });
    const half = maskedLoss(model, { inputs, labels: Int32Array.from([2, 3, -1, -1]), rows: 1, seqLen: 4 });
    const other = maskedLoss(model, { inputs, labels: Int32Array.from([2, 3, -1, -1]), rows: 1, seqLen: 4 });
    expect(half.tokens).toBe(2);
    expect((await half.loss.data())[0]).toBe((await other.loss.data())[0]);
    expect((await half.loss.data())[0]).not.toBe((await full.loss.data())[0]);
    tf.dispose([full.loss, half.loss, other.loss]);
    model.dispose();
  });
});

describe('CausalLmTrainer', () => {
  it('overfits a tiny corpus, then greedy generation reproduces it', async () => {
    const text = 'the cat sat on the mat. ';
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 24, nLayer: 1, nHead: 2, nEmbd: 32 });
    const data = packDocuments([tok.encode(text.repeat(4))], 24, tok.eosId, PAD);
    const trainer = await createCausalLmTrainer({ model: GptModel.random(config, rnd('overfit')), train: data, validation: data, random: rnd('t'), backend: 'cpu' });
    const before = await trainer.evaluate({});
    const fit = await trainer.fit({ epochs: 60, batchSize: 8, learningRate: 1e-2, weightDecay: 0 });
    const after = await trainer.evaluate({});
    expect(before.metrics['perplexity']).toBeGreaterThan(100);
    expect(after.loss).toBeLessThan(0.3);
    expect(after.metrics['perplexity']).toBeCloseTo(Math.exp(after.loss), 6);
    expect(fit.metrics['steps']).toBe(60);
    const out = await generate(trainer.model, tok.encode('the cat'), { maxNewTokens: 16, greedy: true });
    expect(tok.decode(out.tokens)).toBe(' sat on the mat.');
    trainer.dispose();
  });

  it('federates only the adapters with LoRA; weights round-trip; bad lengths are refused', async () => {
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 2, nHead: 2, nEmbd: 16 });
    const model = GptModel.random(config, rnd('lora'));
    model.addLora({ rank: 2, alpha: 4, dropout: 0.1, targets: ['attn.c_attn', 'mlp.c_proj'] }, rnd('a'));
    const data = packDocuments([tok.encode('some training text for adapters')], 16, tok.eosId, PAD);
    const trainer = await createCausalLmTrainer({ model, train: data, validation: data, random: rnd('t'), backend: 'cpu' });
    expect(trainer.tensors.map((t) => t.name)).toEqual(['h.0.attn.c_attn.lora_A', 'h.0.attn.c_attn.lora_B', 'h.0.mlp.c_proj.lora_A', 'h.0.mlp.c_proj.lora_B', 'h.1.attn.c_attn.lora_A', 'h.1.attn.c_attn.lora_B', 'h.1.mlp.c_proj.lora_A', 'h.1.mlp.c_proj.lora_B']);
    const w0 = trainer.getWeights();
    expect(w0.length).toBe(2 * (16 * 2 + 2 * 48 + 64 * 2 + 2 * 16));
    const baseBefore = await model.baseVariables()[2]!.variable.data();
    await trainer.fit({ epochs: 3, learningRate: 1e-2 });
    expect(Array.from(await model.baseVariables()[2]!.variable.data())).toEqual(Array.from(baseBefore));
    expect(trainer.getWeights()).not.toEqual(w0);
    trainer.setWeights(w0);
    expect(trainer.getWeights()).toEqual(w0);
    expect(() => trainer.setWeights(new Float32Array(3))).toThrow(RangeError);
    trainer.dispose();
  });

  it('frees every tensor: a model with adapters, fits, evaluation and dispose leave tfjs as they found it', async () => {
    const before = tf.memory();
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 2, nHead: 2, nEmbd: 16 });
    const model = GptModel.random(config, rnd('leak'));
    model.addLora({ rank: 2, alpha: 4, dropout: 0.1, targets: ['attn.c_attn'] }, rnd('a'));
    const data = packDocuments([tok.encode('a few words to train on, twice over')], 16, tok.eosId, PAD);
    const trainer = await createCausalLmTrainer({ model, train: data, validation: data, random: rnd('t'), backend: 'cpu', federate: 'all' });
    // Per fit nothing accumulates: the optimizer's state and every step's tensors are freed.
    await trainer.fit({ epochs: 1 });
    const between = tf.memory().numTensors;
    await trainer.fit({ epochs: 2, patience: 1 });
    await trainer.evaluate({});
    expect(tf.memory().numTensors).toBe(between);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('stops early when validation loss stops improving and keeps the best weights', async () => {
    const config = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 1, nHead: 1, nEmbd: 16 });
    const train = packDocuments([tok.encode('aaaa bbbb aaaa bbbb aaaa')], 16, tok.eosId, PAD);
    const validation = packDocuments([tok.encode('zq xj wv ku')], 16, tok.eosId, PAD);
    const trainer = await createCausalLmTrainer({ model: GptModel.random(config, rnd('es')), train, validation, random: rnd('t'), backend: 'cpu' });
    const fit = await trainer.fit({ epochs: 50, learningRate: 3e-2, patience: 2, weightDecay: 0 });
    expect(fit.metrics['stoppedEarly']).toBe(1);
    expect(fit.metrics['epochs']).toBeLessThan(50);
    const val = await trainer.evaluate({});
    expect(val.loss).toBeCloseTo(fit.metrics['valLoss']!, 4);
    trainer.dispose();
  });
});
