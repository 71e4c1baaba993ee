// Learns a small byte-level BPE vocabulary (Sennrich, Haddow, Birch 2016; GPT-2's byte-to-unicode
// map and pre-tokenisation, Radford et al. 2019) from the public corpus, in the vocab.json /
// merges.txt form BpeTokenizer reads. Deterministic: ties go to the lexicographically first pair.
import { BpeTokenizer, PRETOKENIZE, bytesToUnicode, type BpeFiles } from '@fedtune/client';

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|pad|>'] as const;

/**
 * Trains merges until the vocabulary holds `vocabSize` entries (256 bytes, the merges, the two
 * special tokens) or no pair occurs twice.
 * @throws RangeError unless vocabSize is an integer in [258, 65536].
 */
export function trainBpe(texts: readonly string[], vocabSize: number): BpeFiles {
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 258 || vocabSize > 65536) throw new RangeError(`vocabSize must be an integer in [258, 65536], got ${vocabSize}`);
  const byteChar = bytesToUnicode();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(PRETOKENIZE)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const words = [...counts].map(([w, n]) => ({ symbols: Array.from(encoder.encode(w), (b) => byteChar[b]!), n }));
  const vocab: Record<string, number> = {};
  byteChar.forEach((ch, i) => (vocab[ch] = i));
  const merges: string[] = [];
  const target = vocabSize - SPECIAL_TOKENS.length;
  while (256 + merges.length < target) {
    const pairs = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.symbols.length; i++) {
      const k = `${w.symbols[i]} ${w.symbols[i + 1]}`;
      pairs.set(k, (pairs.get(k) ?? 0) + w.n);
    }
    let best = '';
    let bestN = 1;
    for (const [k, n] of pairs) if (n > bestN || (n === bestN && best !== '' && k < best)) [best, bestN] = [k, n];
    if (best === '') break;
    const [left, right] = best.split(' ') as [string, string];
    const merged = left + right;
    if (vocab[merged] !== undefined) break;
    vocab[merged] = 256 + merges.length;
    merges.push(best);
    for (const w of words) {
      const s = w.symbols;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
          out.push(merged);
          i++;
        } else out.push(s[i]!);
      }
      w.symbols = out;
    }
  }
  SPECIAL_TOKENS.forEach((s, i) => (vocab[s] = 256 + merges.length + i));
  return { vocab, merges: ['#version: fedtune-demo', ...merges].join('\n') + '\n', specials: [...SPECIAL_TOKENS] };
}

/** A tokenizer over trained files, with <|pad|> recognised as a special token. */
export function bpeTokenizerFrom(files: BpeFiles): BpeTokenizer & { padId: number } {
  const tok = new BpeTokenizer({ ...files, specials: [...SPECIAL_TOKENS] }) as BpeTokenizer & { padId: number };
  tok.padId = files.vocab['<|pad|>']!;
  return tok;
}
