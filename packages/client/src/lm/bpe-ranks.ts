// GPT-2's vocabulary from a rank table (token bytes -> id), the form tiktoken-style packages ship it
// in: the vocab.json / merges.txt pair BpeTokenizer reads, the merges recovered by replaying
// byte-pair encoding (Sennrich et al. 2016) on each token with only lower-ranked tokens, the same
// derivation Hugging Face uses to convert tiktoken files. Nothing is downloaded.
import { bytesToUnicode, type BpeFiles } from './bpe-tokenizer.js';

/**
 * BpeFiles for a byte-level BPE given every token's bytes (as a latin1 string, one char per byte)
 * and rank, plus special tokens' ids.
 * @throws RangeError when the 256 single bytes are not all ranked, a rank repeats, or a token
 *   cannot be built from two lower-ranked tokens.
 */
export function bpeFilesFromRanks(ranks: ReadonlyMap<string, number>, specials: Readonly<Record<string, number>> = {}): BpeFiles {
  const byteChar = bytesToUnicode();
  const show = (bytes: string): string => Array.from(bytes, (c) => byteChar[c.charCodeAt(0)]!).join('');
  for (let b = 0; b < 256; b++) if (!ranks.has(String.fromCharCode(b))) throw new RangeError(`rank table lacks byte ${b}`);
  const vocab: Record<string, number> = {};
  const seen = new Set<number>();
  for (const [bytes, rank] of ranks) {
    if (!Number.isSafeInteger(rank) || rank < 0 || seen.has(rank)) throw new RangeError(`rank ${rank} of ${JSON.stringify(show(bytes))} is invalid or repeated`);
    seen.add(rank);
    vocab[show(bytes)] = rank;
  }
  const merges: string[] = [];
  const multi = [...ranks].filter(([bytes]) => bytes.length > 1).sort((a, b) => a[1] - b[1]);
  for (const [bytes, rank] of multi) {
    let parts = Array.from(bytes);
    for (;;) {
      let best = -1;
      let bestRank = rank;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = ranks.get(parts[i]! + parts[i + 1]!);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
    }
    if (parts.length !== 2) throw new RangeError(`token ${rank} (${JSON.stringify(show(bytes))}) is not a merge of two lower-ranked tokens`);
    merges.push(`${show(parts[0]!)} ${show(parts[1]!)}`);
  }
  for (const [s, id] of Object.entries(specials)) vocab[s] = id;
  return { vocab, merges: merges.join('\n') + '\n', specials: Object.keys(specials) };
}
