// The plaintext inside one sealed share message (Bonawitz et al. 2017 §4 round 1: u || v || shares),
// a fixed binary layout so sender, recipient and round are bound inside the authenticated box; it
// also carries each share's commitment nonce (share-commitment.ts).
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertId, assertInt } from './assert.js';
import { MAX_SHARES, SHARE_BYTES } from './shamir.js';

/** 3: GF(65537) shares (34 bytes each) at 16-bit x, and the commitment nonces; 2 added the nonces to GF(2^8) shares, 1 had neither. */
const VERSION = 3;
const NONCE_BYTES = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One node's shares for one holder: of its self-mask seed b_u and of its mask key s_u^SK. */
export interface SharePlaintext {
  readonly from: string;
  readonly to: string;
  readonly round: number;
  readonly x: number;
  readonly bShare: Uint8Array;
  readonly sShare: Uint8Array;
  readonly bNonce: Uint8Array;
  readonly sNonce: Uint8Array;
}

/** Serialises a share plaintext. @throws TypeError / RangeError for a bad field. */
export function encodeSharePlaintext(p: SharePlaintext): Uint8Array {
  assertId('from', p.from);
  assertId('to', p.to);
  assertInt('round', p.round, 0, 2 ** 32 - 1);
  assertInt('x', p.x, 1, MAX_SHARES);
  assertBytes('bShare', p.bShare, SHARE_BYTES);
  assertBytes('sShare', p.sShare, SHARE_BYTES);
  assertBytes('bNonce', p.bNonce, NONCE_BYTES);
  assertBytes('sNonce', p.sNonce, NONCE_BYTES);
  const from = encoder.encode(p.from);
  const to = encoder.encode(p.to);
  const out = new Uint8Array(1 + 2 + from.length + 2 + to.length + 4 + 2 + 2 * SHARE_BYTES + 2 * NONCE_BYTES);
  const view = new DataView(out.buffer);
  let o = 0;
  out[o++] = VERSION;
  view.setUint16(o, from.length);
  out.set(from, o + 2);
  o += 2 + from.length;
  view.setUint16(o, to.length);
  out.set(to, o + 2);
  o += 2 + to.length;
  view.setUint32(o, p.round);
  o += 4;
  view.setUint16(o, p.x);
  o += 2;
  out.set(p.bShare, o);
  out.set(p.sShare, o + SHARE_BYTES);
  out.set(p.bNonce, o + 2 * SHARE_BYTES);
  out.set(p.sNonce, o + 2 * SHARE_BYTES + NONCE_BYTES);
  return out;
}

/** Parses a share plaintext. @throws FedtuneError FT_ERR_MALFORMED for any inconsistency. */
export function decodeSharePlaintext(bytes: Uint8Array): SharePlaintext {
  assertBytes('bytes', bytes);
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    if (bytes[o++] !== VERSION) throw new Error('version');
    const fl = view.getUint16(o);
    const from = decoder.decode(bytes.subarray(o + 2, o + 2 + fl));
    o += 2 + fl;
    const tl = view.getUint16(o);
    const to = decoder.decode(bytes.subarray(o + 2, o + 2 + tl));
    o += 2 + tl;
    const round = view.getUint32(o);
    o += 4;
    const x = view.getUint16(o);
    o += 2;
    if (o + 2 * SHARE_BYTES + 2 * NONCE_BYTES !== bytes.length || x === 0 || from.length === 0 || to.length === 0) throw new Error('length');
    const at = (i: number, n: number) => bytes.slice(o + i, o + i + n);
    return { from, to, round, x, bShare: at(0, SHARE_BYTES), sShare: at(SHARE_BYTES, SHARE_BYTES), bNonce: at(2 * SHARE_BYTES, NONCE_BYTES), sNonce: at(2 * SHARE_BYTES + NONCE_BYTES, NONCE_BYTES) };
  } catch {
    throw new FedtuneError('FT_ERR_MALFORMED', 'share plaintext does not parse');
  }
}
