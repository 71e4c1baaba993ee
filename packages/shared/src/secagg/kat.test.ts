// Known-answer tests from the standards behind the secure-aggregation primitives.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify, x25519, x25519PublicKey } from './keys.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('X25519 (RFC 7748)', () => {
  it('section 5.2 test vectors', () => {
    expect(toHex(x25519(hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')))).toBe(
      'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
    );
    expect(toHex(x25519(hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'), hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')))).toBe(
      '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
    );
  });
  it('section 6.1 Diffie-Hellman', () => {
    const aSk = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bSk = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    expect(toHex(x25519PublicKey(aSk))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(x25519PublicKey(bSk))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(x25519(aSk, x25519PublicKey(bSk)))).toBe(k);
    expect(toHex(x25519(bSk, x25519PublicKey(aSk)))).toBe(k);
  });
  it('refuses a low-order public key (all-zero output)', () => {
    expect(() => x25519(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), new Uint8Array(32))).toThrow(/low order/);
  });
});

describe('Ed25519 (RFC 8032 section 7.1)', () => {
  const vectors = [
    { name: 'TEST 1', sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', msg: '',
      sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b' },
    { name: 'TEST 2', sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', msg: '72',
      sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
    { name: 'TEST 3', sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', msg: 'af82',
      sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a' },
  ];
  for (const v of vectors) {
    it(v.name, () => {
      const kp = ed25519KeyPairFromSeed(hex(v.sk));
      expect(toHex(kp.publicKey)).toBe(v.pk);
      expect(toHex(ed25519Sign(kp.secretKey, hex(v.msg)))).toBe(v.sig);
      expect(ed25519Verify(kp.publicKey, hex(v.msg), hex(v.sig))).toBe(true);
      const bad = hex(v.sig);
      bad[0]! ^= 1;
      expect(ed25519Verify(kp.publicKey, hex(v.msg), bad)).toBe(false);
    });
  }
});

describe('AES-256-CTR (NIST SP 800-38A F.5.5 CTR-AES256.Encrypt) through nodeCryptoProvider', () => {
  const key = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
  const iv = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
  const pt = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710');
  const ct = '601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6';
  it('keystream XOR plaintext gives the published ciphertext, also from a block offset', () => {
    const ks = crypto.aes256CtrKeystream(key, iv, 0, 64);
    expect(toHex(ks.map((b, i) => b ^ pt[i]!))).toBe(ct);
    const ks2 = crypto.aes256CtrKeystream(key, iv, 2, 32);
    expect(toHex(ks2.map((b, i) => b ^ pt[32 + i]!))).toBe(ct.slice(128 - 64));
  });
});

describe('HKDF-SHA256 (RFC 5869 appendix A) through nodeCryptoProvider', () => {
  it('test case 1', () => {
    expect(toHex(crypto.hkdfSha256(new Uint8Array(22).fill(0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
  it('test case 2', () => {
    expect(toHex(crypto.hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82))).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });
  it('test case 3', () => {
    expect(toHex(crypto.hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });
});
