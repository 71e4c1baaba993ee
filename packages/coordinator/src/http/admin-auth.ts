// The admin token that guards the dashboard, the /api routes and (optionally) /metrics. Presented as
// `Authorization: Bearer <token>`, or as the password of HTTP Basic auth so a browser can log in;
// stored only as SHA-256 hashes and compared in constant time.
import type { IncomingMessage } from 'node:http';
import { FedtuneError, tokenWeakness, type CryptoProvider } from '@fedtune/shared';
import { hashToken } from '../auth/token-registry.js';

export class AdminAuth {
  private readonly hashes: Uint8Array[];

  /** @throws FedtuneError FT_ERR_CONFIG for a clear admin token too weak to use. */
  constructor(
    private readonly crypto: CryptoProvider,
    clearTokens: readonly string[],
    hexHashes: readonly string[],
  ) {
    clearTokens.forEach((t, i) => {
      const weak = tokenWeakness(t);
      if (weak !== null) throw new FedtuneError('FT_ERR_CONFIG', `adminTokens[${i}]: ${weak}`);
    });
    this.hashes = [...clearTokens.map((t) => hashToken(crypto, t)), ...hexHashes.map((h) => new Uint8Array(Buffer.from(h, 'hex')))];
  }

  get configured(): boolean {
    return this.hashes.length > 0;
  }

  /** Whether the request carries a valid admin token. */
  allows(req: IncomingMessage): boolean {
    const presented = presentedToken(req.headers.authorization);
    if (presented === null || this.hashes.length === 0) return false;
    const h = hashToken(this.crypto, presented);
    let ok = false;
    for (const stored of this.hashes) ok = this.crypto.timingSafeEqual(h, stored) || ok;
    return ok;
  }
}

function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : decoded.slice(colon + 1);
  }
  return null;
}
