// How parallel mask removal (Bonawitz et al. 2017 §4 round 4) is cut into jobs and what one job
// is: CTR mode gives random access into every mask, so a job is any element range of the sum
// times any subset of the masks. Ranges alone leave a core idle on short vectors, masks alone
// need one partial sum per job; the split takes ranges first and masks for the cores left over,
// and the threads claim its cells one at a time (runUnmaskBatch).
import { applyMasks, type CryptoProvider, type SignedMask, type UnmaskTerm } from '@fedtune/shared';

/** One cell of the split: a range of the sum and a slice of the masks. */
export interface UnmaskCell {
  /** Elements [from, to) of the sum. */
  from: number;
  to: number;
  /** Masks [termFrom, termTo) of the plan. */
  termFrom: number;
  termTo: number;
  /** False for the first mask group of each range: it works on the sum itself; the others on zeroed partials. */
  partial: boolean;
}

/**
 * Cuts m elements x t masks into at most `threads` cells of near-equal work: as many ranges as
 * the vector allows at `minRange` elements each, then the masks of each range into groups.
 * @throws RangeError for sizes that are not non-negative integers or fewer than one thread.
 */
export function splitUnmask(m: number, t: number, threads: number, minRange: number): UnmaskCell[] {
  for (const [k, v] of [['m', m], ['t', t]] as const) if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
  for (const [k, v] of [['threads', threads], ['minRange', minRange]] as const) if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  if (m === 0 || t === 0) return [];
  // At least 4 words a range, so edges rounded to AES blocks never leave one empty.
  const ranges = Math.max(1, Math.min(threads, Math.floor(m / Math.max(4, minRange))));
  const groups = Math.max(1, Math.min(t, Math.floor(threads / ranges)));
  const cells: UnmaskCell[] = [];
  for (let r = 0; r < ranges; r++) {
    // Range edges on multiples of 4 words: each range then starts on an AES block.
    const from = r === 0 ? 0 : Math.round((m * r) / ranges / 4) * 4;
    const to = r === ranges - 1 ? m : Math.round((m * (r + 1)) / ranges / 4) * 4;
    for (let g = 0; g < groups; g++) {
      cells.push({ from, to, termFrom: Math.round((t * g) / groups), termTo: Math.round((t * (g + 1)) / groups), partial: g > 0 });
    }
  }
  return cells;
}

/** The masks as one byte array (48 bytes each) and their signs, cheap to post to a worker. */
export function packTerms(terms: readonly UnmaskTerm[]): { keys: Uint8Array; signs: Int8Array } {
  const keys = new Uint8Array(48 * terms.length);
  const signs = new Int8Array(terms.length);
  terms.forEach((term, i) => {
    if (term?.key?.key?.length !== 32 || term.key.iv?.length !== 16 || (term.sign !== 1 && term.sign !== -1)) throw new TypeError(`unmask term ${i} is not a 32-byte key, 16-byte IV and a sign of 1 or -1`);
    keys.set(term.key.key, 48 * i);
    keys.set(term.key.iv, 48 * i + 32);
    signs[i] = term.sign;
  });
  return { keys, signs };
}

/** One cell as the threads see it: where its words are and which masks it applies. */
export interface UnmaskCellJob {
  /** Holds the cell's words: [offset, offset + length). */
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
  /** Index in the vector of the cell's first word (where each mask's keystream starts). */
  start: number;
  termFrom: number;
  termTo: number;
}

/**
 * One unmask as posted to the workers: every cell, the masks (48 bytes each: AES key || initial
 * counter block, and a sign) and two shared counters, [next cell to claim, cells finished]. The
 * caller and the workers claim cells one at a time, so a thread that gets no core (the machine is
 * shared) leaves its cells to the others instead of holding the round up.
 */
export interface UnmaskBatch {
  id: number;
  cells: UnmaskCellJob[];
  keys: Uint8Array;
  signs: Int8Array;
  counters: Int32Array;
}

/**
 * Claims and runs cells of the batch until none is left, adding each mask (mod 2^32; the caller
 * reduces mod 2^b once at the end) into the cell's words. Returns how many cells this thread ran.
 * @throws TypeError / RangeError for a malformed batch.
 */
export function runUnmaskBatch(crypto: CryptoProvider, batch: UnmaskBatch): number {
  let ran = 0;
  for (;;) {
    const i = Atomics.add(batch.counters, 0, 1);
    if (i >= batch.cells.length) return ran;
    const c = batch.cells[i]!;
    const masks: SignedMask[] = [];
    for (let j = c.termFrom; j < c.termTo; j++) {
      masks.push({ key: { key: batch.keys.subarray(48 * j, 48 * j + 32), iv: batch.keys.subarray(48 * j + 32, 48 * j + 48) }, sign: batch.signs[j] === 1 ? 1 : -1 });
    }
    applyMasks(crypto, masks, new Uint32Array(c.buffer, 4 * c.offset, c.length), c.start, 32);
    Atomics.add(batch.counters, 1, 1);
    ran++;
  }
}
