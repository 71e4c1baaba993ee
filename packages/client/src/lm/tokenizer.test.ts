import { describe, expect, it } from 'vitest';
import { BpeTokenizer, bytesToUnicode } from './bpe-tokenizer.js';
import { ByteTokenizer } from './tokenizer.js';

const SAMPLES = ['', 'hello world', "It's 12:30 — déjà vu! 🤖\n\ttabs  and  spaces ", 'François Dupont suffers from 123456.', '日本語のテキスト'];

describe('ByteTokenizer', () => {
  it('round-trips text, one id per UTF-8 byte', () => {
    const tok = new ByteTokenizer();
    for (const s of SAMPLES) {
      const ids = tok.encode(s);
      expect(ids.length).toBe(new TextEncoder().encode(s).length);
      expect(tok.decode(ids)).toBe(s);
    }
  });

  it('maps special tokens only when allowed', () => {
    const tok = new ByteTokenizer();
    expect(tok.vocabSize).toBe(258);
    expect(tok.encode('a<|endoftext|>b', { allowSpecial: true })).toEqual([97, 256, 98]);
    expect(tok.encode('<|endoftext|>')).toHaveLength(13);
    expect(tok.decode([104, 105, 256])).toBe('hi<|endoftext|>');
  });

  it('rejects ids outside the vocabulary', () => {
    const tok = new ByteTokenizer();
    for (const bad of [-1, 258, 1.5, NaN]) expect(() => tok.decode([bad])).toThrow(RangeError);
  });
});

// A tiny GPT-2-style vocabulary: the 256 byte symbols, a few merges, and <|endoftext|>.
function tinyBpe(): BpeTokenizer {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'Ġwor l', 'Ġworl d'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  return new BpeTokenizer({ vocab, merges: `#version: 0.2\n${merges.join('\n')}\n` });
}

describe('BpeTokenizer', () => {
  it('maps the 256 bytes to 256 distinct printable characters, printable ASCII to itself', () => {
    const chars = bytesToUnicode();
    expect(new Set(chars).size).toBe(256);
    expect(chars[0x41]).toBe('A');
    expect(chars[0x20]).toBe('Ġ');
    expect(chars[0x0a]).toBe('Ċ');
  });

  it('applies merges by rank after GPT-2 pre-tokenisation', () => {
    const tok = tinyBpe();
    const ids = tok.encode('hello world');
    expect(ids).toHaveLength(2);
    expect(tok.decode([ids[0]!])).toBe('hello');
    expect(tok.decode([ids[1]!])).toBe(' world');
    // "'s" splits off as GPT-2 does; unmerged bytes stay single symbols.
    expect(tok.encode("it's").map((i) => tok.decode([i]))).toEqual(['i', 't', "'", 's']);
  });

  it('round-trips arbitrary text and specials', () => {
    const tok = tinyBpe();
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
    const ids = tok.encode('hello<|endoftext|>world', { allowSpecial: true });
    expect(ids).toContain(tok.eosId);
    expect(tok.decode(ids)).toBe('hello<|endoftext|>world');
  });

  it('refuses malformed merges and ids', () => {
    expect(() => new BpeTokenizer({ vocab: { a: 0 }, merges: 'a b c\n' })).toThrow(RangeError);
    expect(() => tinyBpe().decode([99_999])).toThrow(RangeError);
  });
});
