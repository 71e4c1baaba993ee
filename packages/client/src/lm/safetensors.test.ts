import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FedtuneError, nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { loadGpt2, loadLora, saveLora } from './checkpoint.js';
import { gptParameterShapes, tinyGptConfig } from './config.js';
import { initGptWeights } from './init.js';
import { GptModel } from './model.js';
import { halfToFloat, parseSafetensors, serializeSafetensors } from './safetensors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A file with a hand-written header, for hostile cases. */
function rawFile(header: unknown, dataBytes: number, headerLenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata, with an 8-byte aligned header', () => {
    const a = Float32Array.from([1, -2.5, 3e-8, Infinity]);
    const b = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const bytes = serializeSafetensors([{ name: 'a', shape: [4], data: a }, { name: 'x.b', shape: [2, 3], data: b }], { format: 'test' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const file = parseSafetensors(bytes);
    expect(file.metadata['format']).toBe('test');
    expect(file.tensors.get('a')!.data).toEqual(a);
    expect(file.tensors.get('x.b')!.shape).toEqual([2, 3]);
    expect(file.tensors.get('x.b')!.data).toEqual(b);
  });

  it('decodes F16 and BF16', () => {
    // 1.0, -2.0, 65504 (max half), 2^-24 (smallest subnormal)
    const half = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]);
    const bf = new Uint16Array([0x3f80, 0xc040]); // 1.0, -3.0
    const f = rawFile({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } }, 12);
    f.set(new Uint8Array(half.buffer), f.length - 12);
    f.set(new Uint8Array(bf.buffer), f.length - 4);
    const file = parseSafetensors(f);
    expect(Array.from(file.tensors.get('h')!.data)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(Array.from(file.tensors.get('b')!.data)).toEqual([1, -3]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
  });

  const hostile: [string, Uint8Array][] = [
    ['too short', new Uint8Array(4)],
    ['header length past the end', rawFile({}, 0, 1000n)],
    ['header length 2^64-1', rawFile({}, 0, 2n ** 64n - 1n)],
    ['not JSON', rawFile('{nope', 0)],
    ['a JSON array', rawFile('[1,2]', 0)],
    ['unknown dtype', rawFile({ t: { dtype: 'F13', shape: [1], data_offsets: [0, 4] } }, 4)],
    ['negative dimension', rawFile({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4)],
    ['fractional dimension', rawFile({ t: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4)],
    ['huge shape', rawFile({ t: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4)],
    ['offsets reversed', rawFile({ t: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4)],
    ['offsets past the data', rawFile({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4)],
    ['size mismatch', rawFile({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4)],
    ['a gap', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)],
    ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8)],
    ['metadata not strings', rawFile({ __metadata__: { a: 1 } }, 0)],
    ['entry not an object', rawFile({ a: 5 }, 0)],
  ];
  for (const [what, bytes] of hostile) {
    it(`refuses a hostile file: ${what}`, () => {
      expect(() => parseSafetensors(bytes)).toThrow(FedtuneError);
    });
  }

  it('refuses duplicate names and wrong sizes when writing', () => {
    const d = new Float32Array(2);
    expect(() => serializeSafetensors([{ name: 'a', shape: [2], data: d }, { name: 'a', shape: [2], data: d }])).toThrow(RangeError);
    expect(() => serializeSafetensors([{ name: 'a', shape: [3], data: d }])).toThrow(RangeError);
  });
});

describe('GPT-2 checkpoints', () => {
  it('loads a Hugging Face-style folder (transformer. prefix, attention buffers ignored)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-gpt2-'));
    const config = tinyGptConfig({ vocabSize: 11, contextLength: 8, nLayer: 1, nHead: 2, nEmbd: 4 });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ vocab_size: 11, n_positions: 8, n_layer: 1, n_head: 2, n_embd: 4, layer_norm_epsilon: 1e-5, model_type: 'gpt2' }));
    const weights = initGptWeights(config, seededRandom(nodeCryptoProvider, 'ckpt'));
    const tensors = gptParameterShapes(config).map(([name, shape]) => ({ name: `transformer.${name}`, shape, data: weights.get(name)! }));
    tensors.push({ name: 'transformer.h.0.attn.bias', shape: [1, 1, 8, 8], data: new Float32Array(64) });
    await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
    const model = await loadGpt2(dir);
    expect(model.config).toEqual(config);
    const fresh = GptModel.fromWeights(config, weights);
    const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const [a, b] = [model, fresh].map((m) => m.forward(ids).logits);
    expect(Array.from(await a!.data())).toEqual(Array.from(await b!.data()));
    tf.dispose([ids, a!, b!]);

    // Adapters survive a save and load.
    const r = seededRandom(nodeCryptoProvider, 'lora');
    model.addLora({ rank: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn', 'mlp.c_fc'] }, r);
    for (const v of model.loraVariables()) v.variable.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 7));
    await saveLora(model, join(dir, 'adapter.safetensors'));
    const lora = await loadLora(fresh, join(dir, 'adapter.safetensors'), r);
    expect(lora.targets).toEqual(['attn.c_attn', 'mlp.c_fc']);
    for (const [x, y] of model.loraVariables().map((v, i) => [v, fresh.loraVariables()[i]!] as const)) {
      expect(y.name).toBe(x.name);
      expect(Array.from(await y.variable.data())).toEqual(Array.from(await x.variable.data()));
    }
    model.dispose();
    fresh.dispose();
  });
});
