// Worker thread body: runs one unmask job (unmask-worker-job.ts: a range of the shared sum and a
// slice of the masks, random access into AES-256-CTR keystreams) and says when it is done.
import { parentPort } from 'node:worker_threads';
import { nodeCryptoProvider } from '@fedtune/shared';
import { type UnmaskJob, runUnmaskJob } from './unmask-worker-job.js';

parentPort!.on('message', (job: UnmaskJob) => {
  try {
    runUnmaskJob(nodeCryptoProvider, job);
    parentPort!.postMessage({ id: job.id });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: String((err as Error).message) });
  }
});
