// The mask PRG of Bonawitz et al. 2017 §4 (PRG(b_u), PRG(s_u,v)): AES-256-CTR (NIST SP 800-38A)
// keyed by HKDF-SHA256 (RFC 5869) over a context that binds protocol version, round and node ids.
// CTR mode gives random access, so chunk i of a mask is computed on its own.
import { concatBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { assertBits, assertBytes, assertId, assertInt } from './assert.js';

/** Domain label of every key this module derives; bump on any change to the expansion. */
export const SECAGG_LABEL = 'fedtune/secagg/v1';
const encoder = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** What a mask is for: a self mask of node `a`, or the pairwise mask of `a` and `b` (order-free). */
export interface MaskContext {
  readonly round: number;
  readonly a: string;
  readonly b?: string;
}

/** An expanded AES-256-CTR key and initial counter block: enough to compute any chunk of one mask. */
export interface MaskKey {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

function lengthPrefixed(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(2 + bytes.length);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

/**
 * The HKDF info string for a purpose: label, purpose, round (u32 big-endian), then the ids,
 * each length-prefixed, sorted so both ends of a pair derive the same bytes.
 * @throws TypeError / RangeError for a bad round or id.
 */
export function contextInfo(purpose: string, round: number, ids: readonly string[]): Uint8Array {
  assertInt('round', round, 0, 2 ** 32 - 1);
  ids.forEach((id, i) => assertId(`ids[${i}]`, id));
  const parts: Uint8Array[] = [encoder.encode(`${SECAGG_LABEL}/${purpose}`), new Uint8Array([round >>> 24, (round >>> 16) & 0xff, (round >>> 8) & 0xff, round & 0xff])];
  for (const id of [...ids].sort()) parts.push(lengthPrefixed(id));
  return concatBytes(parts);
}

/**
 * Derives the AES-256-CTR key and IV of one mask from a 32-byte secret (a self-mask seed b_u, or a
 * pairwise X25519 secret) and its context.
 * @throws TypeError / RangeError for a secret that is not 32 bytes or a bad context.
 */
export function deriveMaskKey(crypto: CryptoProvider, secret: Uint8Array, ctx: MaskContext): MaskKey {
  assertBytes('secret', secret, 32);
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ctx must be a MaskContext');
  if (ctx.b !== undefined && ctx.b === ctx.a) throw new RangeError(`pairwise mask of ${ctx.a} with itself`);
  const ids = ctx.b === undefined ? [ctx.a] : [ctx.a, ctx.b];
  const okm = crypto.hkdfSha256(secret, encoder.encode(SECAGG_LABEL), contextInfo(ctx.b === undefined ? 'self-mask' : 'pair-mask', ctx.round, ids), 48);
  return { key: okm.slice(0, 32), iv: okm.slice(32, 48) };
}

function assertMaskKey(k: unknown): asserts k is MaskKey {
  if (typeof k !== 'object' || k === null) throw new TypeError('maskKey must be a MaskKey');
  assertBytes('maskKey.key', (k as MaskKey).key, 32);
  assertBytes('maskKey.iv', (k as MaskKey).iv, 16);
}

/**
 * Mask words [start, start + count) of the expansion under `maskKey`, each reduced mod 2^bits.
 * Word j is keystream bytes 4j..4j+3, little-endian.
 * @throws TypeError / RangeError for a bad key, range or bits.
 */
export function maskRange(crypto: CryptoProvider, maskKey: MaskKey, start: number, count: number, bits: number): Uint32Array {
  assertBits('bits', bits);
  const words = maskWords(crypto, maskKey, start, count);
  if (bits < 32) {
    const mask = 2 ** bits - 1;
    for (let i = 0; i < count; i++) words[i] = words[i]! & mask;
  }
  return words;
}

/**
 * The same words as {@link maskRange} before the reduction mod 2^bits: a sum of these, reduced
 * once at the end, equals the sum of reduced masks, because 2^bits divides 2^32.
 * @throws TypeError / RangeError for a bad key or range.
 */
export function maskWords(crypto: CryptoProvider, maskKey: MaskKey, start: number, count: number): Uint32Array {
  assertInt('count', count, 0, 2 ** 30);
  const words = new Uint32Array(count);
  const stream = openMaskStream(crypto, maskKey, start);
  try {
    stream.readInto(words);
  } finally {
    stream.close();
  }
  return words;
}

/** Mask words from some position on, read in order; CTR mode lets it open at any word. */
export interface MaskStream {
  /** Writes the next `out.length` mask words (not reduced mod 2^bits) into `out`. */
  readInto(out: Uint32Array): void;
  /**
   * Present when the provider fuses it: target[i] = target[i] + sign * (next mask word i) mod
   * 2^32, the keystream never written to memory.
   */
  readonly addInto: ((target: Uint32Array, sign: 1 | -1) => void) | undefined;
  /** Releases the cipher state. Idempotent. */
  close(): void;
}

/** Word order on this host: mask words are little-endian keystream bytes. */
function fromLittleEndian(words: Uint32Array): void {
  if (LITTLE_ENDIAN) return;
  const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
}

const asBytes = (w: Uint32Array) => new Uint8Array(w.buffer, w.byteOffset, w.byteLength);

/**
 * Opens the expansion under `maskKey` at word `start`. Uses the provider's keystream stream (no
 * allocation per read) when it has one, otherwise one keystream request per read.
 * @throws TypeError / RangeError for a bad key or start.
 */
export function openMaskStream(crypto: CryptoProvider, maskKey: MaskKey, start: number): MaskStream {
  assertMaskKey(maskKey);
  assertInt('start', start, 0, 2 ** 40);
  if (crypto.aes256CtrStream === undefined) return requestStream(crypto, maskKey, start);
  const ks = crypto.aes256CtrStream(maskKey.key, maskKey.iv, Math.floor(start / 4));
  if (start % 4 !== 0) ks.fill(new Uint8Array(4 * (start % 4)));
  const add = ks.addWords;
  return {
    readInto(out) {
      ks.fill(asBytes(out));
      fromLittleEndian(out);
    },
    addInto: add === undefined ? undefined : (target, sign) => add.call(ks, target, sign),
    close: () => ks.close(),
  };
}

/** A MaskStream over a provider without streams: each read asks for its own keystream range. */
function requestStream(crypto: CryptoProvider, maskKey: MaskKey, start: number): MaskStream {
  let next = start;
  return {
    readInto(out) {
      const skip = (next % 4) * 4;
      const stream = crypto.aes256CtrKeystream(maskKey.key, maskKey.iv, Math.floor(next / 4), skip + out.byteLength);
      asBytes(out).set(stream.subarray(skip, skip + out.byteLength));
      fromLittleEndian(out);
      next += out.length;
    },
    addInto: undefined,
    close: () => {},
  };
}

/**
 * Chunk `chunkIndex` of a mask of `totalElements` words: words
 * [chunkIndex * chunkElements, min(total, (chunkIndex + 1) * chunkElements)). The concatenation of
 * all chunks equals `maskRange(crypto, maskKey, 0, totalElements, bits)`.
 * @throws TypeError / RangeError for a bad key, a chunk index past the end, or bad sizes.
 */
export function maskChunk(
  crypto: CryptoProvider,
  maskKey: MaskKey,
  chunkIndex: number,
  chunkElements: number,
  totalElements: number,
  bits: number,
): Uint32Array {
  assertInt('chunkElements', chunkElements, 1, 2 ** 30);
  assertInt('totalElements', totalElements, 0, 2 ** 40);
  const chunks = Math.ceil(totalElements / chunkElements);
  assertInt('chunkIndex', chunkIndex, 0, Math.max(0, chunks - 1));
  const start = chunkIndex * chunkElements;
  return maskRange(crypto, maskKey, start, Math.max(0, Math.min(chunkElements, totalElements - start)), bits);
}
