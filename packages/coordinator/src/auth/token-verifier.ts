// Enrollment tokens, kept only as SHA-256 hashes and checked in constant time: every stored hash
// is compared on every attempt, so the time taken does not reveal which (if any) matched.
import type { CryptoProvider } from '@fedtune/shared';

export class TokenVerifier {
  private readonly hashes: Uint8Array[];

  constructor(
    private readonly crypto: CryptoProvider,
    clearTokens: readonly string[],
    hexHashes: readonly string[],
  ) {
    this.hashes = [...clearTokens.map((t) => hashToken(crypto, t)), ...hexHashes.map((h) => new Uint8Array(Buffer.from(h, 'hex')))];
  }

  get size(): number {
    return this.hashes.length;
  }

  verify(presented: string): boolean {
    const h = hashToken(this.crypto, presented);
    let ok = false;
    for (const stored of this.hashes) ok = this.crypto.timingSafeEqual(h, stored) || ok;
    return ok;
  }
}

export function hashToken(crypto: CryptoProvider, token: string): Uint8Array {
  return crypto.sha256(new TextEncoder().encode(token));
}
