// No-repeat n-gram blocking for generation (as in fairseq's and Hugging Face's
// no_repeat_ngram_size; Paulus, Xiong and Socher 2018 block repeated trigrams the same way): a
// token is banned when, appended to the last n-1 tokens, it would repeat an n-gram already in the
// sequence (prompt and generated tokens alike).

/** Tokens that would complete an n-gram already present in `sequence`. @throws RangeError for n < 1 or not an integer. */
export function bannedNextTokens(sequence: readonly number[], n: number): Set<number> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`noRepeatNgramSize must be an integer >= 1, got ${n}`);
  const banned = new Set<number>();
  if (sequence.length < n - 1) return banned;
  const prefixStart = sequence.length - (n - 1);
  for (let start = 0; start + n <= sequence.length; start++) {
    let match = true;
    for (let j = 0; j < n - 1; j++) {
      if (sequence[start + j] !== sequence[prefixStart + j]) {
        match = false;
        break;
      }
    }
    if (match) banned.add(sequence[start + n - 1]!);
  }
  return banned;
}

/** `logits` with banned tokens at -Infinity (a copy), or the logits unchanged when every token would be banned. */
export function blockRepeats(logits: Float32Array, sequence: readonly number[], n: number): Float32Array {
  const banned = bannedNextTokens(sequence, n);
  if (banned.size === 0 || banned.size >= logits.length) return logits;
  const out = logits.slice();
  for (const t of banned) if (t >= 0 && t < out.length) out[t] = -Infinity;
  return out;
}
