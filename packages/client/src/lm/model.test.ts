import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { GPT2_SMALL, gptParameterShapes, tinyGptConfig } from './config.js';
import { maskedLoss } from './loss.js';
import { GptModel } from './model.js';

const random = () => seededRandom(nodeCryptoProvider, 'model-test');
const cfg = tinyGptConfig({ vocabSize: 13, contextLength: 8, nLayer: 2, nHead: 2, nEmbd: 8 });

async function logitsOf(model: GptModel, ids: number[][]): Promise<Float32Array> {
  const t = tf.tidy(() => model.forward(tf.tensor2d(ids, undefined, 'int32')).logits);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('GptModel', () => {
  it('produces [batch, time, vocab] logits and GPT-2 small has 124M parameters', async () => {
    const model = GptModel.random(cfg, random());
    const logits = tf.tidy(() => model.forward(tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32')).logits);
    expect(logits.shape).toEqual([2, 3, 13]);
    logits.dispose();
    model.dispose();
    const n = gptParameterShapes(GPT2_SMALL).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
    expect(n).toBe(124_439_808);
  });

  it('is causal: changing a later token leaves earlier logits unchanged', async () => {
    const model = GptModel.random(cfg, random());
    const a = await logitsOf(model, [[1, 2, 3, 4, 5]]);
    const b = await logitsOf(model, [[1, 2, 3, 9, 0]]);
    const first3 = 3 * cfg.vocabSize;
    // Masked scores are -1e9, whose exp underflows to exactly 0: the prefix is bit-identical.
    expect(maxDiff(a.subarray(0, first3), b.subarray(0, first3))).toBe(0);
    expect(maxDiff(a.subarray(first3), b.subarray(first3))).toBeGreaterThan(0);
    model.dispose();
  });

  it('rejects more positions than the context holds', () => {
    const model = GptModel.random(cfg, random());
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 9], 'int32') as tf.Tensor2D).logits)).toThrow(RangeError);
    model.dispose();
  });

  it('with LoRA B = 0 equals the base model, and merged equals unmerged after training-like changes', async () => {
    const model = GptModel.random(cfg, random());
    const ids = [[3, 1, 4, 1, 5, 9]];
    const base = await logitsOf(model, ids);
    model.addLora({ rank: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] }, random());
    expect(maxDiff(base, await logitsOf(model, ids))).toBe(0);
    // Give B non-zero values, as training would.
    const r = random();
    for (const v of model.loraVariables()) {
      if (v.name.endsWith('lora_B')) v.variable.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', r.uint32()));
    }
    const adapted = await logitsOf(model, ids);
    expect(maxDiff(base, adapted)).toBeGreaterThan(1e-3);
    model.mergeLora();
    expect(model.loraVariables()).toHaveLength(0);
    // float32: merging changes the summation order, so compare at 1e-5 on logits of order 1.
    expect(maxDiff(adapted, await logitsOf(model, ids))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('matches central finite differences on a tiny model', async () => {
    const model = GptModel.random(tinyGptConfig({ vocabSize: 7, contextLength: 4, nLayer: 1, nHead: 2, nEmbd: 4 }), random());
    const batch = { inputs: Int32Array.from([1, 2, 3, 4, 0, 6, 5, 1]), labels: Int32Array.from([2, 3, 4, -1, 6, 5, 1, 2]), rows: 2, seqLen: 4 };
    const vars = model.baseVariables();
    const lossValue = async (): Promise<number> => {
      const { loss } = maskedLoss(model, batch);
      const v = (await loss.data())[0] as number;
      loss.dispose();
      return v;
    };
    const { grads, value } = tf.variableGrads(() => maskedLoss(model, batch).loss, vars.map((v) => v.variable));
    value.dispose();
    const h = 1e-3;
    const r = random();
    let checked = 0;
    for (const v of vars) {
      const g = (await grads[v.variable.name]!.data()) as Float32Array;
      const w = (await v.variable.data()) as Float32Array;
      for (let k = 0; k < 3; k++) {
        const i = r.int(w.length);
        const set = (x: number): void => {
          const copy = w.slice();
          copy[i] = x;
          v.variable.assign(tf.tensor(copy, v.shape));
        };
        set((w[i] as number) + h);
        const up = await lossValue();
        set((w[i] as number) - h);
        const down = await lossValue();
        set(w[i] as number);
        const fd = (up - down) / (2 * h);
        // float32 losses (~2) carry ~2.4e-7 rounding each, which dividing by 2h = 2e-3 turns into
        // ~2.4e-4 of noise; h must stay small next to the 0.02-scale weights, so truncation is
        // O(h^2) but not negligible: 1e-3 absolute + 1% relative covers both.
        expect(Math.abs((g[i] as number) - fd), `${v.name}[${i}]: analytic ${g[i]} vs ${fd}`).toBeLessThan(1e-3 + 0.01 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBe(vars.length * 3);
    tf.dispose(Object.values(grads));
    model.dispose();
  });
});
