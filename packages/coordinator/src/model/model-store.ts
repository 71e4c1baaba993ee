// Model versions named by content hash, in memory for serving chunks: the current version and the
// one before it, so a node still fetching the previous model when a round completes can finish its
// download. Every version is also committed to the durable Store with its round (store/store.ts).
import { CHUNK_ELEMENTS, FedtuneError, chunkCount, chunkView, layoutSize, weightsVersion, type CryptoProvider, type ModelManifestMessage, type Weights } from '@fedtune/shared';

export class ModelStore {
  private readonly versions = new Map<string, Weights>();
  private order: string[] = [];
  private currentVersion: string | null = null;

  constructor(
    private readonly crypto: CryptoProvider,
    private readonly keep = 2,
  ) {}

  get current(): { version: string; weights: Weights } | null {
    if (this.currentVersion === null) return null;
    return { version: this.currentVersion, weights: this.versions.get(this.currentVersion)! };
  }

  /** Adds weights as the current version and returns its hash. */
  put(weights: Weights): string {
    const total = layoutSize(weights.tensors);
    if (total !== weights.data.length) throw new FedtuneError('FT_ERR_SHAPE', `layout has ${total} elements, data ${weights.data.length}`);
    const version = weightsVersion(this.crypto, weights);
    if (!this.versions.has(version)) {
      this.versions.set(version, weights);
      this.order.push(version);
    }
    this.currentVersion = version;
    while (this.order.length > this.keep) this.versions.delete(this.order.shift()!);
    return version;
  }

  /**
   * Makes a held version current again (a round whose commit failed is undone), or none.
   * @throws FedtuneError FT_ERR_UNKNOWN_MODEL when the version is not held.
   */
  setCurrent(version: string | null): void {
    if (version !== null) this.get(version);
    this.currentVersion = version;
  }

  /** @throws FedtuneError FT_ERR_UNKNOWN_MODEL. */
  get(version: string): Weights {
    const w = this.versions.get(version);
    if (w === undefined) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', version.slice(0, 12));
    return w;
  }

  manifest(version: string): ModelManifestMessage {
    const w = this.get(version);
    return { version, tensors: w.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), totalElements: w.data.length, chunkElements: CHUNK_ELEMENTS };
  }

  /** A view of chunk `index` of a version. @throws FedtuneError FT_ERR_UNKNOWN_MODEL, FT_ERR_SHAPE. */
  chunk(version: string, index: number): Float32Array {
    const w = this.get(version);
    if (index >= chunkCount(w.data.length, CHUNK_ELEMENTS)) throw new FedtuneError('FT_ERR_SHAPE', `chunk ${index} out of range`);
    return chunkView(w.data, index, CHUNK_ELEMENTS);
  }
}
