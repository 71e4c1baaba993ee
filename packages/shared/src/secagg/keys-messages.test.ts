// Share boxes, share plaintexts and wire schemas: round trips, bounds, and hostile values.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { decodeWith, encodeWith } from '../protocol/codec.js';
import { CHUNK_ELEMENTS } from '../protocol/limits.js';
import { createSecAggClient } from './client-state.js';
import { clientMaskChunk } from './client-masked-input.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify, openBox, sealBox, shareBoxKey, x25519, x25519KeyPair } from './keys.js';
import { MAX_DEGREE } from './graph.js';
import * as M from './messages.js';
import { SHARE_BYTES } from './shamir.js';
import { decodeSharePlaintext, encodeSharePlaintext } from './share-message.js';
import { createSecAggServer } from './server-state.js';

const rng = seededRandom(crypto, 'keys-tests');
const env = { crypto, rng };
const HOSTILE = [NaN, Infinity, 1.5, -1, 2 ** 53];

describe('share boxes', () => {
  it('both ends derive one key; tampering and wrong keys are refused', () => {
    const a = x25519KeyPair(rng);
    const b = x25519KeyPair(rng);
    const kab = shareBoxKey(crypto, a.secretKey, b.publicKey, 9, 'a', 'b');
    const kba = shareBoxKey(crypto, b.secretKey, a.publicKey, 9, 'b', 'a');
    expect(Buffer.from(kab).equals(Buffer.from(kba))).toBe(true);
    const sealed = sealBox(kab, new Uint8Array([1, 2, 3]), rng);
    expect([...openBox(kba, sealed)]).toEqual([1, 2, 3]);
    sealed[sealed.length - 1]! ^= 1;
    expect(() => openBox(kba, sealed)).toThrow(/authentication/);
    expect(() => openBox(kba, new Uint8Array(10))).toThrow(/too short/);
    expect(Buffer.from(shareBoxKey(crypto, a.secretKey, b.publicKey, 10, 'a', 'b')).equals(Buffer.from(kab))).toBe(false);
  });
  it('hostile keys and lengths', () => {
    for (const len of [0, 16, 31, 33, 64]) {
      expect(() => x25519(new Uint8Array(len), new Uint8Array(32).fill(9))).toThrow(RangeError);
      expect(() => x25519(new Uint8Array(32).fill(1), new Uint8Array(len))).toThrow(RangeError);
      expect(() => sealBox(new Uint8Array(len), new Uint8Array(1), rng)).toThrow(RangeError);
      expect(() => ed25519KeyPairFromSeed(new Uint8Array(len))).toThrow(RangeError);
    }
    expect(() => x25519([1, 2] as unknown as Uint8Array, new Uint8Array(32))).toThrow(TypeError);
    expect(() => ed25519Sign(new Uint8Array(32), new Uint8Array(1))).toThrow(RangeError);
    const kp = ed25519KeyPairFromSeed(new Uint8Array(32));
    expect(ed25519Verify(kp.publicKey, new Uint8Array(1), new Uint8Array(63))).toBe(false);
    expect(() => ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64))).toThrow(RangeError);
    expect(() => ed25519Verify(kp.publicKey, 'msg' as unknown as Uint8Array, new Uint8Array(64))).toThrow(TypeError);
    for (const bad of HOSTILE) expect(() => shareBoxKey(crypto, new Uint8Array(32).fill(1), x25519KeyPair(rng).publicKey, bad, 'a', 'b')).toThrow(RangeError);
  });
});

describe('share plaintext', () => {
  it('round trips and refuses malformed bytes', () => {
    const p = { from: 'node-1', to: 'node-2', round: 77, x: 300, bShare: rng.bytes(SHARE_BYTES), sShare: rng.bytes(SHARE_BYTES), bNonce: rng.bytes(32), sNonce: rng.bytes(32) };
    const back = decodeSharePlaintext(encodeSharePlaintext(p));
    expect(back).toEqual(p);
    const enc = encodeSharePlaintext(p);
    expect(() => decodeSharePlaintext(enc.subarray(0, enc.length - 1))).toThrow(/does not parse/);
    expect(() => decodeSharePlaintext(new Uint8Array(3))).toThrow(/does not parse/);
    for (const bad of [...HOSTILE, 0, 65_536]) expect(() => encodeSharePlaintext({ ...p, x: bad })).toThrow(RangeError);
    expect(() => encodeSharePlaintext({ ...p, bShare: new Uint8Array(32) })).toThrow(RangeError);
    expect(encodeSharePlaintext({ ...p, from: 'x'.repeat(64), to: 'y'.repeat(64) }).length).toBeLessThanOrEqual(M.SHARE_PLAINTEXT_MAX_BYTES);
  });
});

describe('wire schemas', () => {
  const k32 = () => rng.bytes(32);
  const examples: Array<[string, Parameters<typeof encodeWith>[0], unknown]> = [
    ['setup', M.SecAggSetup, { round: 1, nodeId: 'a', neighbours: ['b', 'c'], threshold: 2, bits: 32, vectorLength: 10, chunkElements: 10, activeMode: false }],
    ['advertise', M.AdvertiseKeysMsg, { round: 1, cPk: k32(), sPk: k32(), signature: rng.bytes(64) }],
    ['share request', M.ShareKeysRequest, { round: 1, keys: [{ nodeId: 'b', cPk: k32(), sPk: k32() }] }],
    ['shares', M.ShareKeysMsg, { round: 1, shares: [{ to: 'b', ciphertext: rng.bytes(M.SHARE_CIPHERTEXT_MAX_BYTES), commitB: k32(), commitS: k32() }], seedCommitment: k32() }],
    ['masked request', M.MaskedInputRequest, { round: 1, shares: [{ from: 'b', ciphertext: rng.bytes(100) }] }],
    ['chunk', M.MaskedInputChunkMsg, { round: 1, chunkIndex: 0, data: new Uint32Array(CHUNK_ELEMENTS) }],
    ['consistency request', M.ConsistencyRequest, { round: 1, survivors: ['a', 'b'] }],
    ['consistency', M.ConsistencyMsg, { round: 1, signature: rng.bytes(64) }],
    ['unmask request', M.UnmaskRequest, { round: 1, survivors: ['a'], dropped: ['b'], signatures: [{ nodeId: 'a', signature: rng.bytes(64) }] }],
    ['unmask', M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 's', x: 3000, y: rng.bytes(SHARE_BYTES), nonce: k32() }] }],
    ['abort', M.SecAggAbort, { round: 1, reason: 'too few' }],
  ];
  for (const [name, schema, value] of examples) {
    it(`${name} round-trips through the codec`, () => {
      const frame = encodeWith(schema, value as never);
      expect(decodeWith(schema, frame)).toEqual(value);
    });
  }
  it('every event has a schema', () => {
    for (const e of Object.values(M.SECAGG_EVENTS)) expect(M.SECAGG_SCHEMAS[e]).toBeDefined();
  });
  it('refuses oversized arrays, wrong key lengths and wrong typed arrays', () => {
    const bad: Array<[Parameters<typeof encodeWith>[0], unknown]> = [
      [M.AdvertiseKeysMsg, { round: 1, cPk: rng.bytes(33), sPk: k32() }],
      [M.AdvertiseKeysMsg, { round: 1, cPk: new Uint16Array(16), sPk: k32() }],
      [M.MaskedInputChunkMsg, { round: 1, chunkIndex: 0, data: new Uint32Array(CHUNK_ELEMENTS + 1) }],
      [M.MaskedInputChunkMsg, { round: 1, chunkIndex: 0, data: new Int32Array(4) }],
      [M.MaskedInputChunkMsg, { round: 1.5, chunkIndex: 0, data: new Uint32Array(4) }],
      [M.MaskedInputChunkMsg, { round: 1, chunkIndex: -1, data: new Uint32Array(4) }],
      [M.ShareKeysRequest, { round: 1, keys: Array.from({ length: MAX_DEGREE + 1 }, (_, i) => ({ nodeId: `n${i}`, cPk: k32(), sPk: k32() })) }],
      [M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 'both', x: 3, y: k32() }] }],
      [M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 'b', x: 0, y: k32() }] }],
      [M.ConsistencyRequest, { round: 1, survivors: Array.from({ length: M.MAX_SECAGG_COHORT + 1 }, (_, i) => `n${i}`) }],
      [M.ConsistencyMsg, { round: 1, signature: rng.bytes(63) }],
      [M.AdvertiseKeysMsg, { round: 1, cPk: rng.bytes(31), sPk: k32() }],
      [M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 'b', x: 1, y: rng.bytes(33) }] }],
      [M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 'b', x: 1, y: k32() }] }],
      [M.UnmaskMsg, { round: 1, shares: [{ owner: 'b', kind: 'b', x: 65_536, y: rng.bytes(SHARE_BYTES) }] }],
      [M.SecAggSetup, { round: 1, nodeId: 'a', neighbours: [], threshold: 1, bits: 33, vectorLength: 10, chunkElements: 10, activeMode: false }],
    ];
    for (const [schema, value] of bad) expect(() => encodeWith(schema, value as never)).toThrow(/refusing to encode/);
  });
});

describe('hostile values into the stage functions', () => {
  it('are refused with typed errors, not crashes', () => {
    const c = createSecAggClient({ nodeId: 'a' });
    expect(() => createSecAggClient({ nodeId: '' })).toThrow(RangeError);
    expect(() => createSecAggClient({ nodeId: 5 as unknown as string })).toThrow(TypeError);
    expect(() => createSecAggClient({ nodeId: 'a', identity: { publicKey: new Uint8Array(31), secretKey: new Uint8Array(64) }, identityKeys: new Map() })).toThrow(RangeError);
    expect(() => clientMaskChunk(c, 0, new Uint32Array(1), env)).toThrow(/cannot mask/);
    const base = { round: 1, cohort: ['a', 'b', 'c'], threshold: 2, bits: 32, vectorLength: 4, activeMode: false, rng };
    for (const bad of HOSTILE) {
      expect(() => createSecAggServer({ ...base, round: bad })).toThrow(RangeError);
      expect(() => createSecAggServer({ ...base, bits: bad })).toThrow(RangeError);
      expect(() => createSecAggServer({ ...base, vectorLength: bad })).toThrow(RangeError);
      expect(() => createSecAggServer({ ...base, threshold: bad })).toThrow(RangeError);
    }
    expect(() => createSecAggServer({ ...base, threshold: 1 })).toThrow(/threshold 1 must be in \[2, 2\]/);
    expect(() => createSecAggServer({ ...base, cohort: ['a', 'a', 'b'] })).toThrow(/duplicate/);
    expect(() => createSecAggServer({ ...base, activeMode: true })).toThrow(/identityKeys/);
    expect(() => createSecAggServer({ ...base, chunkElements: CHUNK_ELEMENTS + 1 })).toThrow(RangeError);
  });
});
