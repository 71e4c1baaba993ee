// Floating-point operations of training a GPT-2-architecture decoder, per token, counted as in
// Kaplan et al. 2020 (section 2.1): a multiply-add is 2 FLOPs, a backward pass costs twice its
// forward pass; only matmuls count (layer norms, activations and the softmax are lower order).
import type { GptConfig } from './config.js';

/**
 * Training FLOPs per token at sequence length `seqLen`: 3x the forward matmuls (projections
 * 24 d^2 per layer, attention scores and mixing 4 seqLen d per layer over the full square the
 * model computes, the tied LM head 2 d vocab) plus the embedding gradient (2 d vocab, a one-hot
 * matmul here). gpt-tiny (d 64, 2 layers, vocab 258, seqLen 64): 820,224.
 * @throws RangeError unless seqLen is an integer in [1, contextLength].
 */
export function trainingFlopsPerToken(c: GptConfig, seqLen: number = c.contextLength): number {
  if (!Number.isSafeInteger(seqLen) || seqLen < 1 || seqLen > c.contextLength) throw new RangeError(`trainingFlopsPerToken: seqLen must be an integer in [1, ${c.contextLength}], got ${seqLen}`);
  const d = c.nEmbd;
  const forward = c.nLayer * (24 * d * d + 4 * seqLen * d) + 2 * d * c.vocabSize;
  return 3 * forward + 2 * d * c.vocabSize;
}
