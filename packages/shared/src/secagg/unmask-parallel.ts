// Chunk-parallel mask removal on node:worker_threads (Bonawitz et al. 2017 §4 round 4): the sum is
// split into contiguous ranges, each worker runs unmaskRange on its range (AES-CTR random access).
import { Worker } from 'node:worker_threads';
import { assertInt, assertU32Array } from './assert.js';
import type { UnmaskPlan } from './unmask.js';

/**
 * Removes the plan's masks from `sum` using `threads` worker threads. A sum on a SharedArrayBuffer
 * is updated in place by the workers; otherwise each range is copied out and back.
 * Workers start from unmask-worker-entry.js, which registers tsx and loads unmask-worker.ts, so tsx must be installed.
 * @throws TypeError / RangeError for a bad sum or thread count; rejects with a worker's error.
 */
export async function unmaskParallel(plan: UnmaskPlan, sum: Uint32Array, threads: number): Promise<Uint32Array> {
  assertU32Array('sum', sum);
  assertInt('threads', threads, 1, 64);
  if (sum.length !== plan.vectorLength) throw new RangeError(`sum has ${sum.length} elements, plan ${plan.vectorLength}`);
  const shared = sum.buffer instanceof SharedArrayBuffer;
  // Ranges on chunk boundaries keep each worker's keystream requests aligned and large.
  const chunks = Math.ceil(plan.vectorLength / plan.chunkElements);
  const per = Math.ceil(chunks / threads);
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < threads && w * per < chunks; w++) {
    const start = w * per * plan.chunkElements;
    const end = Math.min(plan.vectorLength, (w + 1) * per * plan.chunkElements);
    const view = sum.subarray(start, end);
    const target = shared ? view : Uint32Array.from(view);
    jobs.push(
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./unmask-worker-entry.js', import.meta.url));
        worker.once('error', reject);
        worker.once('message', (reply: { ok: boolean; target?: Uint32Array; error?: string }) => {
          void worker.terminate();
          if (!reply.ok || reply.target === undefined) return reject(new Error(`unmask worker failed: ${reply.error ?? 'no result'}`));
          if (!shared) sum.set(reply.target, start);
          resolve();
        });
        worker.postMessage({ plan, target, start }, shared ? [] : [target.buffer as ArrayBuffer]);
      }),
    );
  }
  await Promise.all(jobs);
  return sum;
}
