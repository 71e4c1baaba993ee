// Test-only: every keystream path a CryptoProvider can take, so PRG and mask tests run on each
// (the native addon only where it is built here).
import { nativeCryptoStatus } from './native-keystream.js';
import { createNodeCryptoProvider } from './node-crypto.js';
import type { CryptoProvider } from './provider.js';

const portable = createNodeCryptoProvider({ native: false });

/** [name, provider]: native (fused add) where built, node:crypto streams, and one-shot requests only. */
export const KEYSTREAM_PATHS: readonly (readonly [string, CryptoProvider])[] = [
  ...(nativeCryptoStatus().inUse ? [['native', createNodeCryptoProvider()] as const] : []),
  ['node:crypto stream', portable],
  ['one-shot requests', { ...portable, aes256CtrStream: undefined }],
];
