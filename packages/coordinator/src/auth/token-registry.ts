// Enrollment tokens, kept only as SHA-256 hashes and checked in constant time: every stored hash is
// compared on every attempt, so the time taken does not reveal which (if any) matched. Each token
// has a label for logs, a cap on live sessions (one token cannot open hundreds of Sybil nodes) and
// can be revoked while the coordinator runs.
import { FedtuneError, tokenWeakness, type CryptoProvider } from '@fedtune/shared';

export interface TokenSpec {
  /** Hex SHA-256 of the token. */
  hash: string;
  /** A name for logs and the admin API; default `token-<first 8 hex digits>`. */
  label?: string;
  /** Live sessions this token may hold at once; default the registry's. */
  maxSessions?: number;
  revoked?: boolean;
}

export interface TokenEntry {
  /** The hex hash: how sessions and nodes refer to their token. */
  readonly key: string;
  readonly label: string;
  readonly maxSessions: number;
  revoked: boolean;
}

export class TokenRegistry {
  private readonly entries: { hash: Uint8Array; entry: TokenEntry }[];

  /**
   * @throws FedtuneError FT_ERR_CONFIG for a clear token too weak to use (tokenWeakness) or a
   * duplicate hash.
   */
  constructor(
    private readonly crypto: CryptoProvider,
    clearTokens: readonly string[],
    specs: readonly (string | TokenSpec)[],
    defaultMaxSessions: number,
  ) {
    const all: TokenSpec[] = [
      ...clearTokens.map((t, i) => {
        const weak = tokenWeakness(t);
        if (weak !== null) throw new FedtuneError('FT_ERR_CONFIG', `tokens[${i}]: ${weak}`);
        return { hash: Buffer.from(hashToken(crypto, t)).toString('hex') };
      }),
      ...specs.map((s) => (typeof s === 'string' ? { hash: s } : s)),
    ];
    const seen = new Set<string>();
    this.entries = all.map((s) => {
      if (seen.has(s.hash)) throw new FedtuneError('FT_ERR_CONFIG', `token hash ${s.hash.slice(0, 8)}... is listed twice`);
      seen.add(s.hash);
      return {
        hash: new Uint8Array(Buffer.from(s.hash, 'hex')),
        entry: { key: s.hash, label: s.label ?? `token-${s.hash.slice(0, 8)}`, maxSessions: s.maxSessions ?? defaultMaxSessions, revoked: s.revoked ?? false },
      };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry whose token this is (revoked or not), or null. Constant time in which one matched. */
  verify(presented: string): TokenEntry | null {
    const h = hashToken(this.crypto, presented);
    let found: TokenEntry | null = null;
    for (const { hash, entry } of this.entries) if (this.crypto.timingSafeEqual(h, hash)) found = entry;
    return found;
  }

  /** Revokes the token with this label or hex hash; returns it, or null when none matches. */
  revoke(labelOrHash: string): TokenEntry | null {
    const e = this.entries.find(({ entry }) => entry.label === labelOrHash || entry.key === labelOrHash)?.entry ?? null;
    if (e !== null) e.revoked = true;
    return e;
  }

  /** Labels, caps and revocation state (never hashes in full), for the admin API. */
  list(): { label: string; maxSessions: number; revoked: boolean }[] {
    return this.entries.map(({ entry }) => ({ label: entry.label, maxSessions: entry.maxSessions, revoked: entry.revoked }));
  }
}

export function hashToken(crypto: CryptoProvider, token: string): Uint8Array {
  return crypto.sha256(new TextEncoder().encode(token));
}
