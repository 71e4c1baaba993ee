// Worker-thread entry for chunk-parallel mask removal (Bonawitz et al. 2017 §4 round 4; AES-256-CTR
// random access per prg.ts): receives a plan and a range of the sum, removes the masks, replies.
import { parentPort } from 'node:worker_threads';
import { nodeCryptoProvider } from '../crypto/node-crypto.js';
import { type UnmaskPlan, unmaskRange } from './unmask.js';

interface Job {
  plan: UnmaskPlan;
  target: Uint32Array;
  start: number;
}

parentPort?.on('message', (job: Job) => {
  try {
    unmaskRange(nodeCryptoProvider, job.plan, job.target, job.start);
    parentPort!.postMessage({ ok: true, target: job.target }, job.target.buffer instanceof SharedArrayBuffer ? [] : [job.target.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
