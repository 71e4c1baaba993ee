// Issue 12 item 7: the project's GPT-2 BPE against an implementation nobody here wrote. js-tiktoken
// (a dev dependency) ships GPT-2's ranks and its own encoder; the vocabulary is converted with
// bpeFilesFromRanks, loaded from memory and from a local vocab.json / merges.txt folder, and both
// must give js-tiktoken's ids on a varied corpus, and decode back to the text.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2 from 'js-tiktoken/ranks/gpt2';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { bpeFilesFromRanks } from './bpe-ranks.js';

/** js-tiktoken's packed ranks: lines of "<key> <first rank> <base64 token> ...", ranks consecutive. */
function parseRanks(packed: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of packed.split('\n')) {
    if (line === '') continue;
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((t, i) => ranks.set(Buffer.from(t, 'base64').toString('latin1'), Number(offset) + i));
  }
  return ranks;
}

const CORPUS = [
  'Hello, world! The quick brown fox jumps over the lazy dog.',
  "It's what they'd've wanted, isn't it? We'll see; you're right, I'm sure.",
  'François Dupont suffers from a severe form of pancreatic cancer.',
  'Ünïcödé: naïve café, Straße, smörgåsbord, Ελληνικά, русский язык, 日本語のテキスト, 中文, 한국어, עברית, العربية',
  'Emoji and symbols: 👩‍⚕️🏥💊 ✓ ∑ ∞ ≠ → ← ¿¡ «quotes» “curly” ‘single’ — en–dash … ellipsis',
  'Whitespace   runs\tand\t\ttabs\n\nnew lines\r\n  indented\n    more    \n\n\n',
  'Numbers: 0 7 42 1234 1234567890 3.14159 -2.5e-10 1,000,000 0x1F 2026-03-14 +33 6 12 34 56 78',
  'function add(a, b) {\n  return a + b; // sum\n}\nconst xs = [1, 2, 3].map((x) => x ** 2);\nif (x !== null && y >= 0) { console.log(`${x}`); }',
  'def f(self, *args, **kwargs):\n    """Docstring."""\n    return {"k": [i for i in range(10)]}\n',
  '<html><body class="main">&amp; &lt;tag&gt; <a href="https://example.org/path?q=1&r=2#frag">link</a></body></html>',
  '    leading spaces and trailing spaces    ',
  "''''''\"\"\"!!!???...,,,;;;:::---___===+++***&&&%%%$$$###@@@",
  'A'.repeat(300) + ' ' + 'ab'.repeat(150),
];

describe('GPT-2 BPE against js-tiktoken (GPT-2 ranks shipped in the package)', () => {
  const ranks = parseRanks(gpt2.bpe_ranks);
  const files = bpeFilesFromRanks(ranks, gpt2.special_tokens);
  const ours = new BpeTokenizer(files);
  const reference = new Tiktoken(gpt2);

  it('loads the real vocabulary: 50,257 ids, 50,000 merges, <|endoftext|> = 50256', () => {
    expect(ours.vocabSize).toBe(50257);
    expect(files.merges.trim().split('\n')).toHaveLength(50000);
    expect(ours.eosId).toBe(50256);
  });

  it('encodes a varied corpus (Unicode, whitespace runs, numbers, code) to exactly the reference ids', () => {
    for (const text of CORPUS) {
      const expected = reference.encode(text);
      expect(ours.encode(text), JSON.stringify(text.slice(0, 40))).toEqual(expected);
      expect(ours.decode(expected)).toBe(text);
    }
    expect(ours.encode('a<|endoftext|>b', { allowSpecial: true })).toEqual(reference.encode('a<|endoftext|>b', 'all'));
  });

  it('agrees with the reference on random strings (property: 300 runs over full Unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        expect(ours.encode(s)).toEqual(reference.encode(s));
      }),
      { numRuns: 300 },
    );
  });

  it('loads the same vocabulary from a local vocab.json and merges.txt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-gpt2-'));
    try {
      await writeFile(join(dir, 'vocab.json'), JSON.stringify(files.vocab));
      await writeFile(join(dir, 'merges.txt'), '#version: 0.2\n' + files.merges);
      const fromFolder = await BpeTokenizer.fromFolder(dir);
      for (const text of CORPUS) expect(fromFolder.encode(text)).toEqual(reference.encode(text));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a rank table that is not a byte-level BPE', () => {
    const noBytes = new Map([...ranks].filter(([b]) => b !== 'a'));
    expect(() => bpeFilesFromRanks(noBytes)).toThrow(/lacks byte 97/);
    const twice = new Map(ranks);
    twice.set('zzzq', 5);
    expect(() => bpeFilesFromRanks(twice)).toThrow(/repeated/);
  });
});
