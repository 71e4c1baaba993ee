// The training FLOP count: the figure for gpt-tiny, a count by hand for another shape, bad input.
import { describe, expect, it } from 'vitest';
import { tinyGptConfig } from './config.js';
import { trainingFlopsPerToken } from './flops.js';

describe('trainingFlopsPerToken', () => {
  it('gpt-tiny: 820,224 (about 0.82 MFLOP per trained token)', () => {
    expect(trainingFlopsPerToken(tinyGptConfig())).toBe(820_224);
  });

  it('4 layers of width 256: 3 (4 (24 * 256^2 + 4 * 64 * 256) + 2 * 256 * 258) + 2 * 256 * 258', () => {
    expect(trainingFlopsPerToken(tinyGptConfig({ nLayer: 4, nEmbd: 256, nHead: 16 }))).toBe(20_189_184);
    // Shorter rows: only the attention term shrinks.
    expect(trainingFlopsPerToken(tinyGptConfig(), 32)).toBe(820_224 - 3 * 2 * 4 * 32 * 64);
  });

  it('refuses a sequence length outside the context', () => {
    for (const bad of [0, 65, 1.5, NaN]) expect(() => trainingFlopsPerToken(tinyGptConfig(), bad)).toThrow(RangeError);
  });
});
