// Autoregressive generation from a GptModel, with or without a KV cache, stopping at a token
// budget, the context length or a stop sequence.
import * as tf from '@tensorflow/tfjs';
import type { RandomSource } from '@fedtune/shared';
import { disposeCache, type GptModel, type KvCache } from './model.js';
import { blockRepeats } from './no-repeat-ngram.js';
import { checkSampling, sampleToken, type SamplingOptions } from './sampling.js';
import type { Tokenizer } from './tokenizer.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Stop after any of these token sequences (they stay in the output). */
  stopSequences?: readonly (readonly number[])[];
  /** Reuse keys and values of earlier positions (default true). */
  useCache?: boolean;
  random?: RandomSource;
  /** Also return each step's logits (for tests and auditing). */
  returnLogits?: boolean;
  /** Called with the new tokens after each step; true stops as a stop sequence would. */
  shouldStop?: (tokens: readonly number[]) => boolean;
  /** Never repeat an n-gram of this size (prompt included); 0 or undefined: no blocking. */
  noRepeatNgramSize?: number;
}

export interface GenerateResult {
  /** The new tokens only. */
  tokens: number[];
  stoppedBy: 'maxNewTokens' | 'stopSequence' | 'context';
  logits?: Float32Array[];
}

/** @throws RangeError on an empty prompt, a prompt longer than the context or bad options. */
export async function generate(model: GptModel, prompt: readonly number[], options: GenerateOptions): Promise<GenerateResult> {
  checkSampling(options);
  if (!Number.isSafeInteger(options.maxNewTokens) || options.maxNewTokens < 0) throw new RangeError(`maxNewTokens must be a non-negative integer, got ${options.maxNewTokens}`);
  if (prompt.length === 0) throw new RangeError('generate: the prompt is empty');
  const ngram = options.noRepeatNgramSize ?? 0;
  if (!Number.isSafeInteger(ngram) || ngram < 0) throw new RangeError(`noRepeatNgramSize must be a non-negative integer, got ${options.noRepeatNgramSize}`);
  const ctx = model.config.contextLength;
  if (prompt.length > ctx) throw new RangeError(`generate: prompt of ${prompt.length} tokens exceeds the context of ${ctx}`);
  const useCache = options.useCache ?? true;
  const all = [...prompt];
  const out: number[] = [];
  const logitsOut: Float32Array[] = [];
  let cache: KvCache | undefined;
  let pending: number[] = [...prompt];
  let stoppedBy: GenerateResult['stoppedBy'] = 'maxNewTokens';
  try {
    while (out.length < options.maxNewTokens) {
      if (all.length >= ctx && (useCache || out.length > 0)) {
        stoppedBy = 'context';
        break;
      }
      const input = useCache ? pending : all;
      const step = tf.tidy(() => {
        const ids = tf.tensor2d(Int32Array.from(input), [1, input.length], 'int32');
        const r = model.forward(ids, { returnCache: useCache, ...(cache !== undefined ? { cache } : {}) });
        const last = r.logits.slice([0, input.length - 1, 0], [1, 1, model.config.vocabSize]).reshape([model.config.vocabSize]);
        return { last, cache: r.cache };
      });
      disposeCache(cache);
      cache = step.cache;
      const logits = (await step.last.data()) as Float32Array;
      step.last.dispose();
      if (options.returnLogits === true) logitsOut.push(logits);
      const next = sampleToken(ngram > 0 ? blockRepeats(logits, all, ngram) : logits, options, options.random);
      out.push(next);
      all.push(next);
      pending = [next];
      if (options.stopSequences?.some((s) => s.length > 0 && endsWith(out, s)) === true || options.shouldStop?.(out) === true) {
        stoppedBy = 'stopSequence';
        break;
      }
    }
  } finally {
    disposeCache(cache);
  }
  return options.returnLogits === true ? { tokens: out, stoppedBy, logits: logitsOut } : { tokens: out, stoppedBy };
}

function endsWith(seq: readonly number[], suffix: readonly number[]): boolean {
  if (suffix.length > seq.length) return false;
  for (let i = 1; i <= suffix.length; i++) if (seq[seq.length - i] !== suffix[suffix.length - i]) return false;
  return true;
}

export interface GenerateTextOptions extends Omit<GenerateOptions, 'stopSequences'> {
  /** Stop when the generated text contains one of these; the text is cut before it. */
  stop?: readonly string[];
}

/** Generates text from a text prompt; string stop sequences are matched on the decoded text. */
export async function generateText(model: GptModel, tokenizer: Tokenizer, prompt: string, options: GenerateTextOptions): Promise<{ text: string; tokens: number[]; stoppedBy: GenerateResult['stoppedBy'] }> {
  const stops = options.stop ?? [];
  if (stops.length === 0) {
    const r = await generate(model, tokenizer.encode(prompt), options);
    return { text: tokenizer.decode(r.tokens), tokens: r.tokens, stoppedBy: r.stoppedBy };
  }
  const matchAt = (tokens: readonly number[]): number => {
    const text = tokenizer.decode(tokens);
    const hits = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    return hits.length > 0 ? Math.min(...hits) : -1;
  };
  const r = await generate(model, tokenizer.encode(prompt), { ...options, shouldStop: (t) => matchAt(t) >= 0 });
  const text = tokenizer.decode(r.tokens);
  const at = matchAt(r.tokens);
  return { text: at >= 0 ? text.slice(0, at) : text, tokens: r.tokens, stoppedBy: r.stoppedBy };
}
