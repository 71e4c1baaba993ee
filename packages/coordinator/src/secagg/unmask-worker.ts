// Worker thread body: claims and runs cells of an unmask batch (unmask-worker-job.ts: ranges of the
// shared sum times slices of the masks, random access into AES-256-CTR keystreams) until none is
// left, then says so.
import { parentPort } from 'node:worker_threads';
import { nodeCryptoProvider } from '@fedtune/shared';
import { type UnmaskBatch, runUnmaskBatch } from './unmask-worker-job.js';

parentPort!.on('message', (batch: UnmaskBatch) => {
  try {
    runUnmaskBatch(nodeCryptoProvider, batch);
    parentPort!.postMessage({ id: batch.id });
  } catch (err) {
    parentPort!.postMessage({ id: batch.id, error: String((err as Error).message) });
  }
});
