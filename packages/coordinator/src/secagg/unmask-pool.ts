// Parallel mask removal: the masked sum is split into chunk-aligned ranges, one per worker thread,
// each removing every mask term from its range (CTR mode makes any range computable on its own).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FedtuneError, nodeCryptoProvider, unmaskRange, type UnmaskPlan } from '@fedtune/shared';

interface Reply {
  id: number;
  target?: Uint32Array;
  error?: string;
}

/**
 * The worker's module: the compiled unmask-worker.js next to this file in dist/; when running from
 * the TypeScript sources (tests, benchmarks), a plain-JS entry that registers tsx first, since Node
 * 20 will not start a worker from a .ts file.
 */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './unmask-worker-entry.js' : './unmask-worker.js', import.meta.url);
}

export class UnmaskPool {
  private workers: Worker[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (t: Uint32Array) => void; reject: (e: Error) => void }>();

  /** `size` 0 removes masks on the calling thread. Default: one per core. */
  constructor(readonly size = availableParallelism()) {}

  private start(): void {
    if (this.workers.length > 0 || this.size === 0) return;
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(workerUrl());
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (p === undefined) return;
        this.pending.delete(r.id);
        if (r.target !== undefined) p.resolve(r.target);
        else p.reject(new FedtuneError('FT_ERR_INTERNAL', `unmask worker: ${r.error}`));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Removes the plan's masks from `sum` in place and returns it. */
  async unmask(plan: UnmaskPlan, sum: Uint32Array): Promise<Uint32Array> {
    const chunks = Math.ceil(plan.vectorLength / plan.chunkElements);
    if (this.size === 0 || chunks < 2 || plan.terms.length === 0) return unmaskRange(nodeCryptoProvider, plan, sum, 0);
    this.start();
    const parts = Math.min(this.workers.length, chunks);
    const per = Math.ceil(chunks / parts) * plan.chunkElements;
    const jobs: Promise<void>[] = [];
    for (let p = 0; p < parts; p++) {
      const start = p * per;
      if (start >= sum.length) break;
      const end = Math.min(sum.length, start + per);
      const id = this.nextId++;
      const target = sum.slice(start, end);
      const done = new Promise<Uint32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.workers[p]!.postMessage({ id, plan, target, start }, [target.buffer]);
      jobs.push(done.then((t) => sum.set(t, start)));
    }
    // Idle workers must not keep the process alive, busy ones must.
    for (const w of this.workers) w.ref();
    try {
      await Promise.all(jobs);
    } finally {
      for (const w of this.workers) w.unref();
    }
    return sum;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
