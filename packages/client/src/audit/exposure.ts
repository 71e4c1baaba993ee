// Canary exposure (Carlini, Liu, Erlingsson, Kos, Song 2019, "The Secret Sharer", §3-4): how much
// more likely the model finds the planted secret than the other secrets it could have been.
// exposure = log2 |R| - log2 rank, where rank orders all |R| candidates by the model's
// log-perplexity. |R| = 10^6 is too many to score, so the rank is estimated from sampled candidates
// (their §4.2): empirically (bounded by log2 of the sample size) and by extrapolating a normal fit
// of the candidates' log-perplexities (they fit a skew-normal; a normal is the simpler, cruder tail).
// candidateExposure ranks a secret among an enumerated candidate set of any token lengths (the demo's
// "a severe form of <condition>"), exactly, with the skew-normal extrapolation beside it.
import * as tf from '@tensorflow/tfjs';
import type { RandomSource } from '@fedtune/shared';
import type { GptModel } from '../lm/model.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { fitSkewNormal, skewNormalLogCdf } from './skew-normal.js';

/**
 * Log-perplexity in bits of each `continuation` after `prefix`: -sum log2 p(token | earlier tokens)
 * over the continuation's tokens. Continuations must tokenize to the same length.
 * @throws RangeError on continuations of different token lengths, an empty prefix or continuation,
 *   or a sequence over the context.
 */
export async function logPerplexities(model: GptModel, tokenizer: Tokenizer, prefix: string, continuations: readonly string[], batchSize = 64): Promise<Float64Array> {
  const p = tokenizer.encode(prefix);
  const conts = continuations.map((c) => tokenizer.encode(c));
  const len = conts[0]?.length ?? 0;
  if (conts.some((c) => c.length !== len)) throw new RangeError('continuations must all have the same token length');
  return continuationLogPerplexities(model, p, conts, batchSize);
}

export interface ExposureResult {
  /** log2 |R|: the most exposure there can be. */
  maxBits: number;
  /** log-perplexity (bits) of the true secret. */
  canaryBits: number;
  candidates: number;
  /** Candidates the model finds at least as likely as the secret. */
  atLeastAsLikely: number;
  /** Empirical estimate, capped at log2(candidates + 1). */
  exposureEmpirical: number;
  /** Normal-tail extrapolation, capped at maxBits. */
  exposureExtrapolated: number;
}

/** Standard normal CDF in log2, for the tail (Abramowitz-Stegun 7.1.26 erfc, and the asymptotic tail). */
function log2NormalCdf(z: number): number {
  if (z > -5) {
    const x = -z / Math.SQRT2;
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const erfc = t * Math.exp(-x * x) * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const cdf = x >= 0 ? 0.5 * erfc : 1 - 0.5 * erfc;
    return Math.log2(Math.max(cdf, Number.MIN_VALUE));
  }
  // Mills ratio: Phi(z) ~ phi(z) / |z| (1 - 1/z^2) for z << 0.
  return (-0.5 * z * z - Math.log(Math.abs(z) * Math.sqrt(2 * Math.PI)) + Math.log1p(-1 / (z * z))) / Math.LN2;
}

/**
 * Exposure of `secret` among `digits`-digit secrets after `prefix` (and before `suffix`), scoring
 * `candidates` random other secrets drawn from `random`.
 */
export async function canaryExposure(
  model: GptModel,
  tokenizer: Tokenizer,
  canary: { prefix: string; secret: string; suffix?: string },
  digits: number,
  candidates: number,
  random: RandomSource,
): Promise<ExposureResult> {
  const suffix = canary.suffix ?? '';
  const others: string[] = [];
  while (others.length < candidates) {
    let s = '';
    for (let i = 0; i < digits; i++) s += String(random.int(10));
    if (s !== canary.secret) others.push(s + suffix);
  }
  const scores = await logPerplexities(model, tokenizer, canary.prefix, [canary.secret + suffix, ...others]);
  const canaryBits = scores[0]!;
  const rest = scores.subarray(1);
  const atLeastAsLikely = rest.reduce((n, x) => n + (x <= canaryBits ? 1 : 0), 0);
  const maxBits = digits * Math.log2(10);
  const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
  const sd = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rest.length - 1));
  const extrapolated = sd > 0 ? -log2NormalCdf((canaryBits - mean) / sd) : 0;
  return {
    maxBits,
    canaryBits,
    candidates,
    atLeastAsLikely,
    exposureEmpirical: -Math.log2((atLeastAsLikely + 1) / (candidates + 1)),
    exposureExtrapolated: Math.min(maxBits, Math.max(0, extrapolated)),
  };
}

/**
 * Log-perplexity in bits of each continuation (token ids, any lengths) after the prefix ids:
 * -sum log2 p(token | earlier tokens), padded and masked per batch.
 * @throws RangeError on an empty prefix or continuation, or a sequence over the context.
 */
export async function continuationLogPerplexities(model: GptModel, prefix: readonly number[], continuations: readonly (readonly number[])[], batchSize = 64): Promise<Float64Array> {
  if (prefix.length === 0) throw new RangeError('continuationLogPerplexities: the prefix is empty');
  const out = new Float64Array(continuations.length);
  for (let start = 0; start < continuations.length; start += batchSize) {
    const batch = continuations.slice(start, start + batchSize);
    const longest = Math.max(...batch.map((c) => c.length));
    if (batch.some((c) => c.length === 0)) throw new RangeError('continuationLogPerplexities: a continuation is empty');
    const seq = prefix.length + longest - 1;
    if (seq > model.config.contextLength) throw new RangeError(`continuationLogPerplexities: ${prefix.length} + ${longest} tokens exceed the context of ${model.config.contextLength}`);
    const inputs = new Int32Array(batch.length * seq);
    const targets = new Int32Array(batch.length * longest);
    const weights = new Float32Array(batch.length * longest);
    batch.forEach((c, r) => {
      const ids = [...prefix, ...c];
      for (let t = 0; t < seq; t++) inputs[r * seq + t] = ids[t] ?? 0;
      c.forEach((tok, j) => {
        targets[r * longest + j] = tok;
        weights[r * longest + j] = 1;
      });
    });
    const scores = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(inputs, [batch.length, seq], 'int32')).logits;
      // Position prefix.length - 1 + j predicts continuation token j.
      const logProbs = tf.logSoftmax(logits.slice([0, prefix.length - 1, 0], [batch.length, longest, -1]));
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor2d(targets, [batch.length, longest], 'int32'), logProbs.shape[2])), 2);
      return tf.sum(tf.mul(picked, tf.tensor2d(weights, [batch.length, longest])), 1);
    });
    const nats = (await scores.data()) as Float32Array;
    scores.dispose();
    nats.forEach((v, i) => (out[start + i] = -v / Math.LN2));
  }
  return out;
}

export interface CandidateExposure {
  /** |R|: the candidates, the secret among them. */
  candidates: number;
  /** log2 |R|: the most rank exposure there can be. */
  maxBits: number;
  /** log-perplexity (bits) of the secret. */
  secretBits: number;
  /** The secret's rank by log-perplexity, 1 = most likely (ties share the mean rank). */
  rank: number;
  /** Rank exposure, log2 |R| - log2 rank (Carlini et al. 2019, Def. 3). */
  exposure: number;
  /** -log2 of the skew-normal CDF, fitted to the other candidates, at the secret (their section 4.2); may pass maxBits. */
  exposureSkewNormal: number;
  /** The mean rank exposure of the candidates, i.e. what a secret the model knows nothing about gets on average (about log2 e). */
  randomExpected: number;
}

/**
 * Exposure of `secret` among `candidates` (which must hold it) after `prefix` (token ids).
 * @throws RangeError when the secret is not a candidate, or with fewer than 3 candidates.
 */
export async function candidateExposure(model: GptModel, tokenizer: Tokenizer, prefix: readonly number[], secret: string, candidates: readonly string[]): Promise<CandidateExposure> {
  const at = candidates.indexOf(secret);
  if (at < 0) throw new RangeError('candidateExposure: the secret must be one of the candidates');
  if (candidates.length < 3) throw new RangeError('candidateExposure: needs at least 3 candidates');
  const bits = await continuationLogPerplexities(model, prefix, candidates.map((c) => tokenizer.encode(c)));
  const order = Array.from(bits.keys()).sort((a, b) => bits[a]! - bits[b]!);
  const rank = new Float64Array(bits.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && bits[order[j]!] === bits[order[i]!]) j++;
    for (let k = i; k < j; k++) rank[order[k]!] = (i + 1 + j) / 2;
    i = j;
  }
  const n = candidates.length;
  const maxBits = Math.log2(n);
  const others = bits.filter((_, i) => i !== at);
  const fit = fitSkewNormal(others);
  return {
    candidates: n,
    maxBits,
    secretBits: bits[at]!,
    rank: rank[at]!,
    exposure: maxBits - Math.log2(rank[at]!),
    exposureSkewNormal: Math.max(0, -skewNormalLogCdf(fit, bits[at]!) / Math.LN2),
    randomExpected: maxBits - rank.reduce((s, r) => s + Math.log2(r), 0) / n,
  };
}
