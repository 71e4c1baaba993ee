// Loads the optional native AES-256-CTR keystream (@fedtune/native-crypto: OpenSSL's EVP through
// N-API, NIST SP 800-38A) when it was built at install, checks it against the standard's
// known answer, and says whether it is in use. Without it node-crypto.ts keeps to node:crypto.
import { createRequire } from 'node:module';

/** The addon's keystream object (packages/native-crypto/src/aes-ctr.c). */
export interface NativeCtrStream {
  fill(out: Uint8Array | Uint32Array): void;
  addWords(target: Uint32Array, sign: 1 | -1): void;
  close(): void;
}

/** What the addon exports. */
export interface NativeCryptoBinding {
  CtrStream: new (key: Uint8Array, counterBlock: Uint8Array) => NativeCtrStream;
  openssl: string;
}

/** Whether the AES-256-CTR keystream of `nodeCryptoProvider` runs in the native addon. */
export interface NativeCryptoStatus {
  readonly inUse: boolean;
  /** The OpenSSL the addon runs on, when it is in use. */
  readonly openssl?: string;
  /** Why not, when it is not. */
  readonly reason?: string;
}

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

/** NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt): key, initial counter block and the first two output blocks. */
const KAT = {
  key: hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'),
  counter: hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
  keystream: '0bdf7df1591716335e9a8b15c860c5025a6e699d536119065433863c8f657b94',
};

function selfTest(binding: NativeCryptoBinding): boolean {
  const s = new binding.CtrStream(KAT.key, KAT.counter);
  try {
    // Two reads: the second must continue mid-stream, as mask application relies on.
    const out = new Uint8Array(32);
    s.fill(out.subarray(0, 7));
    s.fill(out.subarray(7));
    return Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('') === KAT.keystream;
  } finally {
    s.close();
  }
}

let cached: { binding: NativeCryptoBinding | null; status: NativeCryptoStatus } | undefined;

function load(): { binding: NativeCryptoBinding | null; status: NativeCryptoStatus } {
  if (process.env.FEDTUNE_NATIVE_CRYPTO === '0') return { binding: null, status: { inUse: false, reason: 'disabled by FEDTUNE_NATIVE_CRYPTO=0' } };
  let binding: NativeCryptoBinding;
  try {
    binding = createRequire(import.meta.url)('@fedtune/native-crypto') as NativeCryptoBinding;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'MODULE_NOT_FOUND' ? 'not installed or not built (it builds from source at install: needs a C compiler and Node headers)' : (err as Error).message;
    return { binding: null, status: { inUse: false, reason: `@fedtune/native-crypto ${why}` } };
  }
  try {
    if (!selfTest(binding)) return { binding: null, status: { inUse: false, reason: '@fedtune/native-crypto failed the NIST SP 800-38A known-answer test' } };
  } catch (err) {
    return { binding: null, status: { inUse: false, reason: `@fedtune/native-crypto failed to run: ${(err as Error).message}` } };
  }
  return { binding, status: { inUse: true, openssl: binding.openssl } };
}

/** The addon, loaded once per thread, or null when it is missing, disabled or wrong. */
export function nativeCryptoBinding(): NativeCryptoBinding | null {
  cached ??= load();
  return cached.binding;
}

/** Whether `nodeCryptoProvider` uses the native keystream here, and why not. Never throws. */
export function nativeCryptoStatus(): NativeCryptoStatus {
  cached ??= load();
  return cached.status;
}
