// Which node ids exist and what proves a reconnecting node is the one it claims to be: a 256-bit
// resume secret issued at its first hello (stored only as its SHA-256), bound to the token that
// opened it, or, for an enrolled Ed25519 identity, a signature checked at hello (hello-proof.ts).
// Without the proof, knowing a node's id (from a neighbour list, a log) takes nothing over. The
// records live in the Store, so a node keeps its id across a coordinator restart.
import { FedtuneError, type CryptoProvider } from '@fedtune/shared';
import type { Store } from '../store/store.js';

/** What a node says about itself at hello (informational). */
export interface NodeInfo {
  name: string | null;
  backend: string | null;
}

export class NodeRegistry {
  private registered = 0;

  /** `maxNodes`: ids remembered; beyond it the least recently seen are forgotten (they get a new id if they return). */
  constructor(
    private readonly crypto: CryptoProvider,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly maxNodes = 100_000,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  async has(id: string): Promise<boolean> {
    return (await this.store.node(id)) !== null;
  }

  /** A fresh node id for this token, with the secret that resumes it. */
  async register(tokenKey: string, info: NodeInfo): Promise<{ id: string; secret: string }> {
    let id: string;
    do id = this.hex(16);
    while (await this.has(id));
    const secret = await this.issue(id, tokenKey, info);
    // Bounded: now and then, forget the least recently seen beyond the cap.
    if (++this.registered % 256 === 0) this.store.pruneNodes(this.maxNodes).catch((err: Error) => this.onError(err));
    return { id, secret };
  }

  /**
   * Resumes `id` when `secret` is the one it was issued and the token is the same.
   * @throws FedtuneError FT_ERR_AUTH otherwise (the caller counts it as a failed authentication).
   */
  async resume(id: string, secret: string | undefined, tokenKey: string, info: NodeInfo): Promise<{ id: string; secret: string }> {
    const rec = await this.store.node(id);
    if (rec === null) throw new FedtuneError('FT_ERR_AUTH', 'unknown node id');
    const presented = this.crypto.sha256(new TextEncoder().encode(secret ?? ''));
    const ok = this.crypto.timingSafeEqual(presented, rec.resumeHash) && secret !== undefined;
    if (!ok || rec.tokenKey !== tokenKey) throw new FedtuneError('FT_ERR_AUTH', `no valid resume proof for node ${id}`);
    await this.store.touchNode(id, this.now(), info.name, info.backend);
    return { id, secret: secret! };
  }

  /** An enrolled identity proved itself: (re)bind its id to this token and issue a resume secret. */
  async bindProved(id: string, tokenKey: string, info: NodeInfo): Promise<{ id: string; secret: string }> {
    return { id, secret: await this.issue(id, tokenKey, info) };
  }

  private async issue(id: string, tokenKey: string, info: NodeInfo): Promise<string> {
    const secret = this.hex(32);
    await this.store.putNode({ id, tokenKey, resumeHash: this.crypto.sha256(new TextEncoder().encode(secret)), name: info.name, backend: info.backend }, this.now());
    return secret;
  }

  private hex(bytes: number): string {
    return Buffer.from(this.crypto.randomBytes(bytes)).toString('hex');
  }
}
