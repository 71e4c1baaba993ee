// Reassembles one node's streamed update: chunks must arrive in order with the lengths the
// model's layout implies, and each is checked for NaN/Infinity as it lands.
import { FedtuneError, assertFinite, chunkCount } from '@fedtune/shared';

export class UpdateAssembler {
  private readonly data: Float32Array;
  private next = 0;
  readonly totalChunks: number;
  bytesReceived = 0;

  constructor(
    readonly totalElements: number,
    readonly chunkElements: number,
  ) {
    this.data = new Float32Array(totalElements);
    this.totalChunks = chunkCount(totalElements, chunkElements);
  }

  /**
   * Adds chunk `index`.
   * @throws FedtuneError FT_ERR_STAGE out of order, FT_ERR_SHAPE on a wrong length or chunk count,
   * FT_ERR_NON_FINITE on NaN/Infinity.
   */
  add(index: number, totalChunks: number, chunk: Float32Array, frameBytes: number): void {
    if (totalChunks !== this.totalChunks) throw new FedtuneError('FT_ERR_SHAPE', `update has ${totalChunks} chunks, model needs ${this.totalChunks}`);
    if (index !== this.next) throw new FedtuneError('FT_ERR_STAGE', `expected chunk ${this.next}, got ${index}`);
    const start = index * this.chunkElements;
    const expected = Math.min(this.chunkElements, this.totalElements - start);
    if (chunk.length !== expected) throw new FedtuneError('FT_ERR_SHAPE', `chunk ${index} has ${chunk.length} elements, expected ${expected}`);
    assertFinite(chunk, `update chunk ${index}`);
    this.data.set(chunk, start);
    this.next++;
    this.bytesReceived += frameBytes;
  }

  get complete(): boolean {
    return this.next === this.totalChunks;
  }

  /** The assembled vector. @throws FedtuneError FT_ERR_SHAPE when chunks are missing. */
  result(): Float32Array {
    if (!this.complete) throw new FedtuneError('FT_ERR_SHAPE', `received ${this.next} of ${this.totalChunks} chunks`);
    return this.data;
  }
}
