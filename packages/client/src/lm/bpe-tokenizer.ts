// GPT-2's byte-level BPE (Radford et al. 2019, section 2.2; Sennrich et al. 2016): bytes mapped to
// printable characters, the GPT-2 pre-tokenisation regex, then merges applied by rank.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitOnSpecials, type EncodeOptions, type Tokenizer } from './tokenizer.js';

/** GPT-2's split into words, numbers, punctuation runs and whitespace (a global regex: use with matchAll). */
export const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The reversible byte -> character map: printable Latin-1 bytes map to themselves, the rest to 256+. */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
}

export interface BpeFiles {
  /** vocab.json: token string -> id. */
  vocab: Record<string, number>;
  /** merges.txt: one "left right" pair per line, by rank; a "#version" line is skipped. */
  merges: string;
  /** Added tokens recognised with allowSpecial; default the vocab's <|endoftext|>. */
  specials?: readonly string[];
}

export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly encoder: Map<string, number>;
  private readonly decoder: string[];
  private readonly ranks = new Map<string, number>();
  private readonly byteChar = bytesToUnicode();
  private readonly charByte = new Map<string, number>();
  private readonly specials = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  /** @throws RangeError on a malformed vocabulary or merge list. */
  constructor(files: BpeFiles) {
    this.encoder = new Map();
    let maxId = -1;
    for (const [token, id] of Object.entries(files.vocab)) {
      if (!Number.isSafeInteger(id) || id < 0 || id > 1 << 24) throw new RangeError(`BPE vocab: id of ${JSON.stringify(token)} is ${id}`);
      this.encoder.set(token, id);
      maxId = Math.max(maxId, id);
    }
    this.vocabSize = maxId + 1;
    this.decoder = new Array<string>(this.vocabSize);
    for (const [token, id] of this.encoder) {
      if (this.decoder[id] !== undefined) throw new RangeError(`BPE vocab: id ${id} used twice`);
      this.decoder[id] = token;
    }
    let rank = 0;
    for (const line of files.merges.split('\n')) {
      if (line.startsWith('#version') || line.trim() === '') continue;
      const parts = line.split(' ');
      if (parts.length !== 2) throw new RangeError(`BPE merges: line ${rank + 1} is not a pair: ${JSON.stringify(line.slice(0, 80))}`);
      this.ranks.set(`${parts[0]} ${parts[1]}`, rank++);
    }
    this.byteChar.forEach((ch, b) => this.charByte.set(ch, b));
    for (const s of files.specials ?? ['<|endoftext|>']) {
      const id = this.encoder.get(s);
      if (id !== undefined) this.specials.set(s, id);
    }
    this.eosId = this.specials.get('<|endoftext|>') ?? -1;
  }

  /** Reads vocab.json and merges.txt from a Hugging Face-style folder. */
  static async fromFolder(dir: string): Promise<BpeTokenizer> {
    const vocab = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as unknown;
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) throw new RangeError(`${dir}/vocab.json is not an object`);
    return new BpeTokenizer({ vocab: vocab as Record<string, number>, merges: await readFile(join(dir, 'merges.txt'), 'utf8') });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const parts = options.allowSpecial === true ? splitOnSpecials(text, this.specials) : [text];
    for (const part of parts) {
      if (typeof part === 'number') {
        out.push(part);
        continue;
      }
      for (const m of part.matchAll(PRETOKENIZE)) out.push(...this.encodeWord(m[0]));
    }
    return out;
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    let symbols = Array.from(new TextEncoder().encode(word), (b) => this.byteChar[b]!);
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the best pair, left to right.
      const left = symbols[best]!;
      const right = symbols[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === left && symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else merged.push(symbols[i]!);
      }
      symbols = merged;
    }
    const ids = symbols.map((s) => {
      const id = this.encoder.get(s);
      if (id === undefined) throw new RangeError(`BPE: symbol ${JSON.stringify(s)} is not in the vocabulary (incomplete byte alphabet?)`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = Number.isInteger(id) ? this.decoder[id] : undefined;
      if (token === undefined) throw new RangeError(`BpeTokenizer.decode: id ${id} is not in the vocabulary`);
      if (this.specials.has(token)) {
        bytes.push(...new TextEncoder().encode(token));
        continue;
      }
      for (const ch of token) {
        const b = this.charByte.get(ch);
        if (b === undefined) throw new RangeError(`BpeTokenizer.decode: token ${id} holds a character outside the byte map`);
        bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}
