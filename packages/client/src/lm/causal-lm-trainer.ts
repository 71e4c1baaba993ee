// A LocalTrainer for causal language models: AdamW with gradient clipping on packed token rows,
// early stopping on validation loss, perplexity evaluation. Federates the LoRA adapters by
// default, or every weight.
import * as tf from '@tensorflow/tfjs';
import type { RandomSource, TensorSpec, TrainConfig } from '@fedtune/shared';
import { FedtuneError } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '../training/trainer.js';
import { AdamW } from './adamw.js';
import { maskedLoss, type TokenBatch } from './loss.js';
import type { GptModel, NamedVariable } from './model.js';
import { selectRows, shuffle } from './text-data.js';

export interface CausalLmTrainerOptions {
  /** Owned by the trainer from now on (freed by dispose). */
  model: GptModel;
  train: TokenBatch;
  /** Held-out rows for early stopping and evaluate(); when empty, neither runs (never on training rows). */
  validation: TokenBatch;
  random: RandomSource;
  /** The backend in use, for logs. */
  backend: string;
  /** 'lora': only adapters train and travel (the default when the model has them); 'all': every weight. */
  federate?: 'lora' | 'all';
}

/** fit() settings read from TrainConfig, with their defaults. */
export const LM_TRAIN_DEFAULTS = {
  epochs: 1,
  batchSize: 8,
  learningRate: 1e-3,
  weightDecay: 0.01,
  maxGradNorm: 1,
  /** 0: no limit. */
  maxSteps: 0,
  /** Epochs without a validation improvement before stopping; 0: no early stopping. */
  patience: 0,
} as const;

type LmSettings = { -readonly [K in keyof typeof LM_TRAIN_DEFAULTS]: number };

function settings(config: TrainConfig): LmSettings {
  const out = { ...LM_TRAIN_DEFAULTS } as LmSettings;
  for (const key of Object.keys(out) as (keyof LmSettings)[]) {
    const v = config[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FedtuneError('FT_ERR_CONFIG', `${key} must be a finite non-negative number`);
    out[key] = v;
  }
  if (out.batchSize < 1 || !Number.isInteger(out.batchSize)) throw new FedtuneError('FT_ERR_CONFIG', 'batchSize must be a positive integer');
  return out;
}

export class CausalLmTrainer implements LocalTrainer {
  readonly tensors: readonly TensorSpec[];
  readonly backend: string;
  readonly model: GptModel;
  private readonly vars: NamedVariable[];
  private readonly mirror: Float32Array;
  private readonly train: TokenBatch;
  private readonly validation: TokenBatch;
  private readonly random: RandomSource;

  constructor(options: CausalLmTrainerOptions) {
    this.model = options.model;
    const federate = options.federate ?? (options.model.lora !== undefined ? 'lora' : 'all');
    if (federate === 'lora' && options.model.lora === undefined) throw new RangeError("CausalLmTrainer: federate 'lora' needs a model with adapters");
    this.vars = federate === 'lora' ? options.model.loraVariables() : [...options.model.baseVariables(), ...options.model.loraVariables()];
    this.tensors = this.vars.map((v) => ({ name: v.name, shape: [...v.shape] }));
    this.mirror = new Float32Array(this.vars.reduce((n, v) => n + v.variable.size, 0));
    this.train = options.train;
    this.validation = options.validation;
    this.random = options.random;
    this.backend = options.backend;
  }

  /** Reads the federated weights back from the backend (asynchronously: WebGPU has no sync read). */
  async syncWeights(): Promise<void> {
    let offset = 0;
    for (const v of this.vars) {
      const data = (await v.variable.data()) as Float32Array;
      this.mirror.set(data, offset);
      offset += data.length;
    }
  }

  /** This node's training rows (for audits run at the node, e.g. membership inference). */
  get trainData(): TokenBatch {
    return this.train;
  }

  /** This node's held-out rows. */
  get validationData(): TokenBatch {
    return this.validation;
  }

  getWeights(): Float32Array {
    return this.mirror.slice();
  }

  setWeights(data: Float32Array): void {
    if (!(data instanceof Float32Array)) throw new TypeError('setWeights: data must be a Float32Array');
    if (data.length !== this.mirror.length) throw new RangeError(`setWeights: ${data.length} values, the model has ${this.mirror.length}`);
    let offset = 0;
    for (const v of this.vars) {
      const n = v.variable.size;
      const t = tf.tensor(data.subarray(offset, offset + n), v.shape, 'float32');
      v.variable.assign(t);
      t.dispose();
      offset += n;
    }
    this.mirror.set(data);
  }

  async fit(config: TrainConfig): Promise<FitOutcome> {
    const s = settings(config);
    if (this.train.rows === 0) throw new FedtuneError('FT_ERR_TRAINING', 'no training rows');
    const variables = this.vars.map((v) => v.variable);
    const optimizer = new AdamW(variables, { learningRate: s.learningRate, weightDecay: s.weightDecay });
    const dropout = this.model.lora !== undefined && this.model.lora.dropout > 0;
    let steps = 0;
    let examples = 0;
    let lossSum = 0;
    let normSum = 0;
    let epochs = 0;
    let best = Infinity;
    let bestWeights: Float32Array | undefined;
    let sinceBest = 0;
    let lastVal: number | undefined;
    let stoppedEarly = false;
    try {
      outer: for (let epoch = 0; epoch < Math.max(1, Math.floor(s.epochs)); epoch++) {
        const order = shuffle(Array.from({ length: this.train.rows }, (_, i) => i), this.random);
        for (let start = 0; start < order.length; start += s.batchSize) {
          if (s.maxSteps > 0 && steps >= s.maxSteps) break outer;
          const batch = selectRows(this.train, order.slice(start, start + s.batchSize));
          const seed = dropout ? this.random.uint32() : undefined;
          const { value, grads } = tf.variableGrads(() => maskedLoss(this.model, batch, seed).loss, variables);
          const gradNorm = optimizer.clipAndStep(variables.map((v) => grads[v.name]!), s.maxGradNorm);
          const [loss, norm] = await Promise.all([value.data(), gradNorm.data()]);
          tf.dispose([value, gradNorm, ...Object.values(grads)]);
          if (!Number.isFinite(loss[0])) throw new FedtuneError('FT_ERR_TRAINING', `loss became ${loss[0]} at step ${steps}`);
          lossSum += loss[0] as number;
          normSum += norm[0] as number;
          steps++;
          examples += batch.rows;
        }
        epochs++;
        if (s.patience > 0 && this.validation.rows > 0) {
          lastVal = (await this.validationLoss(s.batchSize)).loss;
          if (lastVal < best) {
            best = lastVal;
            sinceBest = 0;
            await this.syncWeights();
            bestWeights = this.getWeights();
          } else if (++sinceBest >= s.patience) {
            stoppedEarly = true;
            break;
          }
        }
      }
    } finally {
      optimizer.dispose();
    }
    if (stoppedEarly && bestWeights !== undefined) this.setWeights(bestWeights);
    else await this.syncWeights();
    const metrics: Record<string, number> = { trainLoss: lossSum / Math.max(steps, 1), gradNorm: normSum / Math.max(steps, 1), steps, epochs, stoppedEarly: stoppedEarly ? 1 : 0 };
    if (lastVal !== undefined) metrics['valLoss'] = Math.min(best, lastVal);
    return { numExamples: examples, metrics };
  }

  private async validationLoss(batchSize: number): Promise<{ loss: number; tokens: number }> {
    let sum = 0;
    let tokens = 0;
    for (let start = 0; start < this.validation.rows; start += batchSize) {
      const rows = Array.from({ length: Math.min(batchSize, this.validation.rows - start) }, (_, i) => start + i);
      const r = maskedLoss(this.model, selectRows(this.validation, rows));
      const v = (await r.loss.data())[0] as number;
      r.loss.dispose();
      sum += v * r.tokens;
      tokens += r.tokens;
    }
    return { loss: tokens > 0 ? sum / tokens : 0, tokens };
  }

  /** Loss and perplexity on the held-out rows; with none, zero examples (weight 0 in any mean), not the training rows. */
  async evaluate(config: TrainConfig): Promise<EvaluateOutcome> {
    const s = settings(config);
    if (this.validation.rows === 0) return { numExamples: 0, loss: 0, metrics: {} };
    const { loss, tokens } = await this.validationLoss(s.batchSize);
    const perplexity = Math.min(Math.exp(loss), Number.MAX_VALUE);
    return { numExamples: this.validation.rows, loss, metrics: { perplexity, tokens } };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Builds a trainer and reads its initial weights (the mirror behind getWeights). */
export async function createCausalLmTrainer(options: CausalLmTrainerOptions): Promise<CausalLmTrainer> {
  const trainer = new CausalLmTrainer(options);
  await trainer.syncWeights();
  return trainer;
}
