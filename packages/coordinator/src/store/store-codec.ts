// How values take their stored form in any Store (SQLite or PostgreSQL): sealed under the at-rest
// key when there is one (at-rest-seal.ts, XSalsa20-Poly1305 in STREAM segments), JSON for
// structured values, raw little-endian float32 for model weights, which are checked against their
// content hash (SHA-256) on every read. The key-check value lets a store refuse a wrong key at open.
import { FedtuneError, layoutSize, weightsVersion, type CryptoProvider, type TensorSpec, type Weights } from '@fedtune/shared';
import { AtRestCipher } from './at-rest-seal.js';
import type { NodeRecord } from './store.js';

const KEY_CHECK_TEXT = 'fedtune store key check v1';
/** The `encryption` meta value of a sealed store. */
export const SEALED_SCHEME = 'xsalsa20poly1305-stream-v1';

/** A store error that keeps a FedtuneError as it is and names what failed otherwise. */
export function storeError(what: string, err: unknown): FedtuneError {
  if (err instanceof FedtuneError) return err;
  return new FedtuneError('FT_ERR_STORE', `${what}: ${(err as Error)?.message ?? String(err)}`);
}

/** The bytes of a float32 vector, without a copy. */
export function floatBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Seals (or passes through) a store's values, and checks the key it was opened with. */
export class StoreCodec {
  private readonly cipher: AtRestCipher | null;

  /** `where` names the store in errors (a path or a redacted URL). @throws RangeError for a key that is not 32 bytes. */
  constructor(
    private readonly crypto: CryptoProvider,
    key: Uint8Array | null,
    private readonly where: string,
  ) {
    this.cipher = key === null ? null : new AtRestCipher(crypto, key);
  }

  get sealed(): boolean {
    return this.cipher !== null;
  }

  seal(plain: Uint8Array, context: string): Uint8Array {
    return this.cipher === null ? plain : this.cipher.seal(plain, context);
  }

  /** @throws FedtuneError FT_ERR_STORE_KEY when a sealed value does not open under this context. */
  open(stored: Uint8Array, context: string): Uint8Array {
    return this.cipher === null ? stored : this.cipher.open(stored, context);
  }

  sealJson(value: unknown, context: string): Buffer {
    const bytes = this.seal(new TextEncoder().encode(JSON.stringify(value)), context);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  openJson(stored: Uint8Array, context: string): unknown {
    return JSON.parse(new TextDecoder().decode(this.open(new Uint8Array(stored), context)));
  }

  /** The meta rows a new store starts with: its scheme and, when sealed, the key-check value. */
  initialMeta(): [string, string][] {
    if (this.cipher === null) return [['encryption', 'none']];
    return [
      ['encryption', SEALED_SCHEME],
      ['key_check', Buffer.from(this.cipher.seal(new TextEncoder().encode(KEY_CHECK_TEXT), 'key-check')).toString('base64')],
    ];
  }

  /**
   * Checks this codec's key against a store's meta rows.
   * @throws FedtuneError FT_ERR_STORE_KEY (a key for a plain store, none for a sealed one, or the wrong one).
   */
  verify(encryption: string | null, keyCheck: string | null): void {
    if (encryption === 'none' && this.cipher !== null) {
      throw new FedtuneError('FT_ERR_STORE_KEY', `${this.where} is not encrypted at rest, but a key was given: remove store.encryption, or start a new store with it`);
    }
    if (encryption === 'none') return;
    if (this.cipher === null) throw new FedtuneError('FT_ERR_STORE_KEY', `${this.where} is encrypted at rest: give its key (store.encryption.keyEnv or keyFile)`);
    try {
      const text = new TextDecoder().decode(this.cipher.open(new Uint8Array(Buffer.from(keyCheck ?? '', 'base64')), 'key-check'));
      if (text !== KEY_CHECK_TEXT) throw new Error('mismatch');
    } catch {
      throw new FedtuneError('FT_ERR_STORE_KEY', `the key given does not open ${this.where} (wrong key?)`);
    }
  }

  /** The stored form of a model's weights. */
  sealModel(version: string, weights: Weights): Uint8Array {
    return this.seal(floatBytes(weights.data), `model:${version}`);
  }

  /**
   * Weights from their stored form, checked against their layout and their content hash.
   * @throws FedtuneError FT_ERR_STORE when they do not match (a corrupt store), FT_ERR_STORE_KEY.
   */
  openModel(version: string, layoutJson: string, stored: Uint8Array): Weights {
    const tensors = JSON.parse(layoutJson) as TensorSpec[];
    const bytes = this.open(new Uint8Array(stored), `model:${version}`);
    if (bytes.length % 4 !== 0 || bytes.length / 4 !== layoutSize(tensors)) throw new FedtuneError('FT_ERR_STORE', `model ${version.slice(0, 12)} holds ${bytes.length} bytes for ${layoutSize(tensors)} elements`);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const weights = { tensors, data };
    if (weightsVersion(this.crypto, weights) !== version) throw new FedtuneError('FT_ERR_STORE', `model ${version.slice(0, 12)} does not match its hash (the store is corrupt)`);
    return weights;
  }
}

/** A model's layout as stored beside its weights. */
export function layoutJson(weights: Weights): string {
  return JSON.stringify(weights.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })));
}

/** A row of the `nodes` table as a NodeRecord (both stores' tables have the same columns; counters may come back as strings from PostgreSQL's bigint). */
export function nodeRecordFromRow(r: Record<string, unknown>): NodeRecord {
  return {
    id: String(r.id),
    tokenKey: String(r.token_key),
    resumeHash: new Uint8Array(r.resume_hash as Buffer),
    name: (r.name as string | null) ?? null,
    backend: (r.backend as string | null) ?? null,
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    roundsSelected: Number(r.rounds_selected),
    roundsContributed: Number(r.rounds_contributed),
  };
}
