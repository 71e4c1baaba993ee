// A GPT-2-architecture decoder in functional tfjs (Radford et al. 2019): token and position
// embeddings, pre-LayerNorm blocks of causal multi-head attention and a tanh-GELU MLP, a final
// LayerNorm and an LM head tied to the token embedding; optional LoRA adapters and a KV cache.
import * as tf from '@tensorflow/tfjs';
import type { RandomSource } from '@fedtune/shared';
import { gptParameterShapes, validateGptConfig, type GptConfig } from './config.js';
import { geluTanh, layerNorm } from './fused-ops.js';
import { initGptWeights } from './init.js';
import { initLoraWeights, loraParameterShapes, loraScale, validateLoraConfig, type LoraConfig, type LoraTarget } from './lora.js';

/** Keys and values of earlier positions, per layer, each [batch, nHead, past, headDim]. */
export type KvCache = { k: tf.Tensor4D; v: tf.Tensor4D }[];

export interface ForwardOptions {
  /** Cache from earlier positions; the new tokens continue after them. */
  cache?: KvCache;
  /** Applies LoRA dropout (with this seed) when the adapters have a dropout rate. */
  dropoutSeed?: number;
}

export interface ForwardResult {
  /** [batch, time, vocab]. */
  logits: tf.Tensor3D;
  /** The cache extended with the new positions (only when requested). */
  cache?: KvCache;
}

export interface NamedVariable {
  name: string;
  shape: number[];
  variable: tf.Variable;
}

const MASKED = -1e9;

export class GptModel {
  readonly config: GptConfig;
  private readonly base = new Map<string, tf.Variable>();
  private readonly adapters = new Map<string, tf.Variable>();
  private loraConfig: LoraConfig | undefined;

  private constructor(config: GptConfig) {
    this.config = validateGptConfig({ ...config });
  }

  /** A model with fresh random weights (GPT-2 initialisation). */
  static random(config: GptConfig, random: RandomSource): GptModel {
    return GptModel.fromWeights(config, initGptWeights(validateGptConfig({ ...config }), random));
  }

  /**
   * A model from named base weights (Hugging Face GPT-2 names, Conv1D layout [in, out]).
   * @throws RangeError when a weight is missing or has the wrong size.
   */
  static fromWeights(config: GptConfig, weights: ReadonlyMap<string, Float32Array>): GptModel {
    const model = new GptModel(config);
    try {
      for (const [name, shape] of gptParameterShapes(model.config)) {
        const data = weights.get(name);
        const n = shape.reduce((a, b) => a * b, 1);
        if (data === undefined) throw new RangeError(`GPT weights: missing ${name}`);
        if (data.length !== n) throw new RangeError(`GPT weights: ${name} has ${data.length} values, expected ${n} for shape [${shape.join(', ')}]`);
        model.base.set(name, trainableVariable(data, shape));
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  get lora(): LoraConfig | undefined {
    return this.loraConfig;
  }

  /** Adds LoRA adapters (B = 0, so outputs are unchanged); `weights` restores saved ones. */
  addLora(lora: LoraConfig, random: RandomSource, weights?: ReadonlyMap<string, Float32Array>): void {
    if (this.loraConfig !== undefined) throw new Error('GptModel.addLora: adapters already present; merge or remove them first');
    const config = validateLoraConfig({ ...lora, targets: [...lora.targets] });
    const init = weights ?? initLoraWeights(this.config, config, random);
    for (const [name, shape] of loraParameterShapes(this.config, config)) {
      const data = init.get(name);
      if (data === undefined || data.length !== shape[0]! * shape[1]!) throw new RangeError(`LoRA weights: ${name} missing or not of shape [${shape.join(', ')}]`);
    }
    for (const [name, shape] of loraParameterShapes(this.config, config)) {
      this.adapters.set(name, trainableVariable(init.get(name)!, shape));
    }
    this.loraConfig = config;
  }

  /** Folds the adapters into the base weights, W += (alpha/r) A B, and removes them. */
  mergeLora(): void {
    const lora = this.loraConfig;
    if (lora === undefined) return;
    const scale = loraScale(lora);
    for (let i = 0; i < this.config.nLayer; i++) {
      for (const t of lora.targets) {
        const w = this.base.get(`h.${i}.${t}.weight`)!;
        const a = this.adapters.get(`h.${i}.${t}.lora_A`)!;
        const b = this.adapters.get(`h.${i}.${t}.lora_B`)!;
        w.assign(tf.tidy(() => w.add(tf.matMul(a, b).mul(scale))));
      }
    }
    this.removeLora();
  }

  removeLora(): void {
    for (const v of this.adapters.values()) v.dispose();
    this.adapters.clear();
    this.loraConfig = undefined;
  }

  /** Base weights in Hugging Face order. */
  baseVariables(): NamedVariable[] {
    return [...this.base].map(([name, variable]) => ({ name, shape: variable.shape, variable }));
  }

  /** Adapter weights in federated order (empty without LoRA). */
  loraVariables(): NamedVariable[] {
    return [...this.adapters].map(([name, variable]) => ({ name, shape: variable.shape, variable }));
  }

  /** Runs the decoder on token ids [batch, time] (int32). Call inside tf.tidy. */
  forward(ids: tf.Tensor2D, options: ForwardOptions & { returnCache: true }): Required<ForwardResult>;
  forward(ids: tf.Tensor2D, options?: ForwardOptions & { returnCache?: boolean }): ForwardResult;
  forward(ids: tf.Tensor2D, options: ForwardOptions & { returnCache?: boolean } = {}): ForwardResult {
    const c = this.config;
    const [batch, time] = ids.shape;
    const past = options.cache?.[0]?.k.shape[2] ?? 0;
    if (past + time > c.contextLength) throw new RangeError(`GptModel.forward: ${past} cached + ${time} new positions exceed the context of ${c.contextLength}`);
    if (options.cache !== undefined && options.cache.length !== c.nLayer) throw new RangeError(`GptModel.forward: cache has ${options.cache.length} layers, expected ${c.nLayer}`);
    const p = (name: string): tf.Variable => this.base.get(name)!;
    const positions = tf.range(past, past + time, 1, 'int32');
    let x = tf.add(embed(p('wte.weight'), ids), embed(p('wpe.weight'), positions)) as tf.Tensor3D;
    const mask = causalMask(time, past);
    const newCache: KvCache = [];
    let seed = options.dropoutSeed;
    const nextSeed = (): number | undefined => (seed === undefined ? undefined : (seed = (seed + 0x9e3779b9) >>> 0));
    for (let i = 0; i < c.nLayer; i++) {
      const h = `h.${i}.`;
      const a = this.attention(layerNorm(x, p(`${h}ln_1.weight`) as tf.Tensor1D, p(`${h}ln_1.bias`) as tf.Tensor1D, c.layerNormEpsilon), i, mask, options.cache?.[i], nextSeed);
      x = tf.add(x, a.out);
      newCache.push(a.kv);
      const m = layerNorm(x, p(`${h}ln_2.weight`) as tf.Tensor1D, p(`${h}ln_2.bias`) as tf.Tensor1D, c.layerNormEpsilon);
      const hidden = geluTanh(this.linear(m, i, 'mlp.c_fc', nextSeed()));
      x = tf.add(x, this.linear(hidden, i, 'mlp.c_proj', nextSeed()));
    }
    const final = layerNorm(x, p('ln_f.weight') as tf.Tensor1D, p('ln_f.bias') as tf.Tensor1D, c.layerNormEpsilon);
    const logits = tf.matMul(final.reshape([batch * time, c.nEmbd]), p('wte.weight'), false, true).reshape([batch, time, c.vocabSize]) as tf.Tensor3D;
    return options.returnCache === true ? { logits, cache: newCache } : { logits };
  }

  private attention(x: tf.Tensor3D, layer: number, mask: tf.Tensor2D, past: KvCache[number] | undefined, nextSeed: () => number | undefined) {
    const { nHead, nEmbd } = this.config;
    const [batch, time] = x.shape;
    const headDim = nEmbd / nHead;
    const qkv = this.linear(x, layer, 'attn.c_attn', nextSeed());
    const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const heads = (t: tf.Tensor3D): tf.Tensor4D => t.reshape([batch, time, nHead, headDim]).transpose([0, 2, 1, 3]);
    let keys = heads(k);
    let values = heads(v);
    if (past !== undefined) {
      keys = tf.concat([past.k, keys], 2);
      values = tf.concat([past.v, values], 2);
    }
    const scores = tf.add(tf.matMul(heads(q), keys, false, true).mul(1 / Math.sqrt(headDim)), mask);
    const mixed = tf.matMul(tf.softmax(scores), values).transpose([0, 2, 1, 3]).reshape([batch, time, nEmbd]) as tf.Tensor3D;
    return { out: this.linear(mixed, layer, 'attn.c_proj', nextSeed()), kv: { k: keys, v: values } };
  }

  /** Conv1D (x @ W + b, W as [in, out]) plus the target's LoRA path when present. */
  private linear(x: tf.Tensor3D, layer: number, target: LoraTarget, dropoutSeed: number | undefined): tf.Tensor3D {
    const [batch, time, fanIn] = x.shape;
    const w = this.base.get(`h.${layer}.${target}.weight`)!;
    const b = this.base.get(`h.${layer}.${target}.bias`)!;
    const x2 = x.reshape([batch * time, fanIn]) as tf.Tensor2D;
    let y: tf.Tensor2D = tf.add(tf.matMul(x2, w as tf.Tensor2D), b);
    const lora = this.loraConfig;
    if (lora !== undefined && lora.targets.includes(target)) {
      const a = this.adapters.get(`h.${layer}.${target}.lora_A`)! as tf.Tensor2D;
      const bb = this.adapters.get(`h.${layer}.${target}.lora_B`)! as tf.Tensor2D;
      const input = dropoutSeed !== undefined && lora.dropout > 0 ? tf.dropout(x2, lora.dropout, undefined, dropoutSeed) : x2;
      y = tf.add(y, tf.matMul(tf.matMul(input, a), bb).mul(loraScale(lora)));
    }
    return y.reshape([batch, time, w.shape[1]!]);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const v of this.base.values()) v.dispose();
    this.base.clear();
    this.removeLora();
  }
}

/** A trainable variable holding `data`. The variable shares the initial tensor's buffer; the tensor itself must still be freed, or every model leaks its initial weights. */
function trainableVariable(data: Float32Array, shape: number[]): tf.Variable {
  const t = tf.tensor(data, shape, 'float32');
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

/**
 * Rows of an embedding table. The gradient is oneHot(ids)^T dy, a matmul every backend runs fast,
 * instead of tf.gather's UnsortedSegmentSum (missing on wasm, quadratic on cpu). It is only
 * computed when the table itself is trained.
 */
function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [rows, width] = table.shape as [number, number];
  const f = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    // Saved, not captured: the tidy around the forward pass would free it before backprop.
    save([ids]);
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.matMul(oneHotFloat(saved[0]!.flatten(), rows), dy.reshape([-1, width]), true, false),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table);
}

/** One-hot rows as float32. Built as int32 and cast: wasm's OneHot writes int32 whatever the dtype asked. */
export function oneHotFloat(indices: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32') as tf.Tensor2D;
}

/** [time, past + time]: 0 where query i may see key j (j <= past + i), a large negative elsewhere. */
function causalMask(time: number, past: number): tf.Tensor2D {
  const width = past + time;
  const m = new Float32Array(time * width);
  for (let i = 0; i < time; i++) for (let j = past + i + 1; j < width; j++) m[i * width + j] = MASKED;
  return tf.tensor2d(m, [time, width]);
}

/** Frees a KV cache. */
export function disposeCache(cache: KvCache | undefined): void {
  if (cache === undefined) return;
  for (const layer of cache) {
    layer.k.dispose();
    layer.v.dispose();
  }
}
