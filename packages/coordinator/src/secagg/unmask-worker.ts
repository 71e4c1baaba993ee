// Worker thread body: removes the plan's masks from one range of the sum (unmask.ts, random access
// into AES-256-CTR keystreams) and hands the range back.
import { parentPort } from 'node:worker_threads';
import { nodeCryptoProvider, unmaskRange, type UnmaskPlan } from '@fedtune/shared';

interface Job {
  id: number;
  plan: UnmaskPlan;
  target: Uint32Array;
  start: number;
}

parentPort!.on('message', (job: Job) => {
  try {
    unmaskRange(nodeCryptoProvider, job.plan, job.target, job.start);
    parentPort!.postMessage({ id: job.id, target: job.target }, [job.target.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: String((err as Error).message) });
  }
});
