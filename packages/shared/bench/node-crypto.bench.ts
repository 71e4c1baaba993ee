// What node:crypto itself costs on this machine, the figures behind two choices in the SecAgg code:
// the keystream request size of mask application (Node's cipher.update allocates and zero-fills its
// output per call, so the size matters) and importing X25519 public keys as JWK rather than DER.
import * as nodeCrypto from 'node:crypto';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';

const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex'); // RFC 8410

export const bench: BenchFn = async ({ tiny }) => {
  const figures: BenchFigure[] = [];
  const total = tiny ? 1 << 20 : 256 << 20;
  const key = nodeCrypto.randomBytes(32);
  const iv = Buffer.alloc(16);
  for (const size of [4 << 10, 16 << 10, 64 << 10, 128 << 10, 256 << 10, 1 << 20, 16 << 20]) {
    if (size > total) continue;
    const zeros = Buffer.alloc(size);
    let best = Infinity;
    for (let rep = 0; rep < (tiny ? 1 : 3); rep++) {
      const cipher = nodeCrypto.createCipheriv('aes-256-ctr', key, iv);
      const t0 = performance.now();
      for (let done = 0; done < total; done += size) cipher.update(zeros);
      best = Math.min(best, performance.now() - t0);
    }
    figures.push({ name: `AES-256-CTR keystream via cipher.update, ${size >> 10} KiB per call`, value: total / 1e6 / (best / 1000), unit: 'MB/s' });
  }
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
