// The tokenizer interface shared by the byte-level and GPT-2 BPE tokenizers, and the byte-level
// tokenizer itself: one id per UTF-8 byte, then special tokens.

export interface EncodeOptions {
  /** Map special-token strings in the text to their ids; otherwise they are plain text. */
  allowSpecial?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  /** End-of-text id, used between packed documents. */
  readonly eosId: number;
  encode(text: string, options?: EncodeOptions): number[];
  /** @throws RangeError on an id outside the vocabulary. */
  decode(ids: readonly number[]): string;
}

const encoder = new TextEncoder();

/** Splits text on special-token strings, longest first, for tokenizers that allow them. */
export function splitOnSpecials(text: string, specials: ReadonlyMap<string, number>): (string | number)[] {
  if (specials.size === 0) return [text];
  const names = [...specials.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(names.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const out: (string | number)[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(specials.get(m[0])!);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export class ByteTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly specials: Map<string, number>;
  private readonly specialNames: string[];

  /** Ids 0..255 are bytes; `specials` follow from 256 (default <|endoftext|>, <|pad|>). */
  constructor(specials: readonly string[] = ['<|endoftext|>', '<|pad|>']) {
    if (new Set(specials).size !== specials.length || specials.some((s) => s === '')) throw new RangeError('ByteTokenizer: special tokens must be distinct and non-empty');
    this.specialNames = [...specials];
    this.specials = new Map(specials.map((s, i) => [s, 256 + i]));
    this.vocabSize = 256 + specials.length;
    this.eosId = this.specials.get('<|endoftext|>') ?? -1;
  }

  /** The id of a special token. @throws RangeError when it is not one. */
  specialId(name: string): number {
    const id = this.specials.get(name);
    if (id === undefined) throw new RangeError(`ByteTokenizer: no special token ${JSON.stringify(name)}`);
    return id;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const parts = options.allowSpecial === true ? splitOnSpecials(text, this.specials) : [text];
    for (const part of parts) {
      if (typeof part === 'number') out.push(part);
      else for (const b of encoder.encode(part)) out.push(b);
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    let text = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) text += new TextDecoder().decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`ByteTokenizer.decode: id ${id} outside [0, ${this.vocabSize})`);
      if (id < 256) bytes.push(id);
      else {
        flush();
        text += this.specialNames[id - 256];
      }
    }
    flush();
    return text;
  }
}
