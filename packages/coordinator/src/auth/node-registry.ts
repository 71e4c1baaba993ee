// Which node ids exist and what proves a reconnecting node is the one it claims to be: a 256-bit
// resume secret issued at its first hello (stored only as its SHA-256), bound to the token that
// opened it, or, for an enrolled Ed25519 identity, a signature checked at hello (hello-proof.ts).
// Without the proof, knowing a node's id (from a neighbour list, a log) takes nothing over.
import { FedtuneError, type CryptoProvider } from '@fedtune/shared';

interface NodeRecord {
  tokenKey: string;
  resumeHash: Uint8Array;
}

export class NodeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();

  /** `maxNodes`: ids remembered; beyond it the oldest is forgotten (it gets a new id if it returns). */
  constructor(
    private readonly crypto: CryptoProvider,
    private readonly maxNodes = 100_000,
  ) {}

  get size(): number {
    return this.nodes.size;
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** A fresh node id for this token, with the secret that resumes it. */
  register(tokenKey: string): { id: string; secret: string } {
    let id: string;
    do id = this.hex(16);
    while (this.nodes.has(id));
    return { id, secret: this.issue(id, tokenKey) };
  }

  /**
   * Resumes `id` when `secret` is the one it was issued and the token is the same.
   * @throws FedtuneError FT_ERR_AUTH otherwise (the caller counts it as a failed authentication).
   */
  resume(id: string, secret: string | undefined, tokenKey: string): { id: string; secret: string } {
    const rec = this.nodes.get(id);
    if (rec === undefined) throw new FedtuneError('FT_ERR_AUTH', 'unknown node id');
    const presented = this.crypto.sha256(new TextEncoder().encode(secret ?? ''));
    const ok = this.crypto.timingSafeEqual(presented, rec.resumeHash) && secret !== undefined;
    if (!ok || rec.tokenKey !== tokenKey) throw new FedtuneError('FT_ERR_AUTH', `no valid resume proof for node ${id}`);
    return { id, secret: secret! };
  }

  /** An enrolled identity proved itself: (re)bind its id to this token and issue a resume secret. */
  bindProved(id: string, tokenKey: string): { id: string; secret: string } {
    return { id, secret: this.issue(id, tokenKey) };
  }

  private issue(id: string, tokenKey: string): string {
    const secret = this.hex(32);
    this.nodes.delete(id);
    if (this.nodes.size >= this.maxNodes) this.nodes.delete(this.nodes.keys().next().value!);
    this.nodes.set(id, { tokenKey, resumeHash: this.crypto.sha256(new TextEncoder().encode(secret)) });
    return secret;
  }

  private hex(bytes: number): string {
    return Buffer.from(this.crypto.randomBytes(bytes)).toString('hex');
  }
}
