// What node:crypto itself costs on this machine, the figures behind choices in the SecAgg code:
// every way Node offers AES-256-CTR keystream (cipher.update allocates and zero-fills its output per
// call, so the request size matters; WebCrypto is async and allocates too) against the native
// addon that writes into caller-owned memory and against `openssl speed`; and importing X25519
// public keys as JWK rather than DER.
import * as nodeCrypto from 'node:crypto';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { nativeCryptoStatus } from '../src/crypto/native-keystream.js';
import { createNodeCryptoProvider } from '../src/crypto/node-crypto.js';
import { opensslAes256CtrSpeed } from './openssl-speed.js';

const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex'); // RFC 8410

/** Best MB/s (10^6 bytes, as openssl speed counts) of `reps` runs producing `total` bytes each. */
async function rate(total: number, reps: number, run: () => Promise<void> | void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return total / 1e6 / (best / 1000);
}

export const bench: BenchFn = async ({ tiny }) => {
  const figures: BenchFigure[] = [];
  const total = tiny ? 1 << 20 : 256 << 20;
  const reps = tiny ? 1 : 3;
  const key = nodeCrypto.randomBytes(32);
  const iv = Buffer.alloc(16);
  const openssl = tiny ? null : opensslAes256CtrSpeed(2);
  if (openssl !== null) figures.push({ name: '`openssl speed -evp aes-256-ctr -bytes 16384`, one core', value: openssl / 1e6, unit: 'MB/s' });
  // Every way to get AES-256-CTR keystream out of Node, the allocating ones first.
  for (const size of [4 << 10, 16 << 10, 64 << 10, 128 << 10, 256 << 10, 1 << 20, 16 << 20]) {
    if (size > total) continue;
    const zeros = Buffer.alloc(size);
    const mb = await rate(total, reps, () => {
      const cipher = nodeCrypto.createCipheriv('aes-256-ctr', key, iv);
      for (let done = 0; done < total; done += size) cipher.update(zeros);
    });
    figures.push({ name: `node:crypto, one cipher, cipher.update of ${size >> 10} KiB (allocates its output)`, value: mb, unit: 'MB/s' });
  }
  const zeros128 = Buffer.alloc(128 << 10);
  figures.push({
    name: 'node:crypto, a new cipher per 128 KiB request (mask application before the streams)',
    value: await rate(total, reps, () => {
      for (let done = 0; done < total; done += zeros128.length) {
        const c = nodeCrypto.createCipheriv('aes-256-ctr', key, iv);
        c.update(zeros128);
        c.final();
      }
    }),
    unit: 'MB/s',
  });
  const subtleKey = await crypto.subtle.importKey('raw', key, 'AES-CTR', false, ['encrypt']);
  for (const size of [128 << 10, 4 << 20]) {
    const zeros = new Uint8Array(size);
    const mb = await rate(total, reps, async () => {
      for (let done = 0; done < total; done += size) await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 128 }, subtleKey, zeros);
    });
    figures.push({ name: `WebCrypto crypto.subtle.encrypt AES-CTR, ${size >> 10} KiB per call (async, allocates)`, value: mb, unit: 'MB/s' });
  }
  const status = nativeCryptoStatus();
  if (status.inUse) {
    const native = createNodeCryptoProvider();
    for (const size of [16 << 10, 128 << 10]) {
      const out = new Uint8Array(size);
      const mb = await rate(total, reps, () => {
        const s = native.aes256CtrStream!(key, iv, 0);
        for (let done = 0; done < total; done += size) s.fill(out);
        s.close();
      });
      figures.push({ name: `native addon, keystream into a reused ${size >> 10} KiB buffer`, value: mb, unit: 'MB/s', note: openssl === null ? '' : `${((mb * 1e6) / openssl).toFixed(2)} x openssl speed` });
    }
  } else figures.push({ name: 'native addon', value: 0, unit: 'MB/s', note: `not in use: ${status.reason}` });
  const count = tiny ? 20 : 2000;
  const pks = Array.from({ length: count }, () => nodeCrypto.generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const privateKey = nodeCrypto.generateKeyPairSync('x25519').privateKey;
  const per = (f: () => void) => {
    const t0 = performance.now();
    f();
    return ((performance.now() - t0) / count) * 1000;
  };
  let objects: nodeCrypto.KeyObject[] = [];
  const der = per(() => void (objects = pks.map((pk) => nodeCrypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' }))));
  const jwk = per(() => void pks.map((pk) => nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: pk.toString('base64url') }, format: 'jwk' })));
  const dh = per(() => void objects.map((publicKey) => nodeCrypto.diffieHellman({ privateKey, publicKey })));
  figures.push(
    { name: 'X25519 public KeyObject from RFC 8410 DER', value: der, unit: 'us' },
    { name: 'X25519 public KeyObject from JWK', value: jwk, unit: 'us', note: 'what x25519Many uses' },
    { name: 'X25519 diffieHellman, KeyObjects ready', value: dh, unit: 'us' },
  );
  return figures;
};
