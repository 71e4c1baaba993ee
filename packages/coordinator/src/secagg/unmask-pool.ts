// Parallel mask removal (Bonawitz et al. 2017 §4 round 4) on worker threads that stay up across
// rounds: the sum goes into shared memory, cut by ranges and, where the vector is too short to
// keep every core busy, by masks as well (unmask-worker-job.ts); a round too small to gain from
// threads is unmasked on the calling thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FedtuneError, assertUnmaskPlan, nodeCryptoProvider, ringAddInto, unmaskRange, type UnmaskPlan } from '@fedtune/shared';
import { type UnmaskJob, packTerms, splitUnmask } from './unmask-worker-job.js';

interface Reply {
  id: number;
  error?: string;
}

/**
 * Mask words (masks x elements) below which the calling thread does the work: around 2^20 words
 * (0.6-0.9 ms on one core here) posting the jobs and waking the workers cost about what the
 * second core saves; at 2^21 the pool won by 1.5x in every shape measured (docs/BENCHMARKS.md).
 */
export const MIN_PARALLEL_WORDS = 1 << 21;
/** The shortest range a job gets before masks are split instead. */
const MIN_RANGE = 1 << 14;

/**
 * The worker's module: the compiled unmask-worker.js next to this file in dist/; when running from
 * the TypeScript sources (tests, benchmarks), a plain-JS entry that registers tsx first, since Node
 * 20 will not start a worker from a .ts file.
 */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './unmask-worker-entry.js' : './unmask-worker.js', import.meta.url);
}

export interface UnmaskPoolOptions {
  /** Work below this many mask words runs on the calling thread (default MIN_PARALLEL_WORDS). */
  minParallelWords?: number;
}

export class UnmaskPool {
  private workers: Worker[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly minParallelWords: number;

  /** `size` 0 removes masks on the calling thread. Default: one per core. */
  constructor(
    readonly size = availableParallelism(),
    options: UnmaskPoolOptions = {},
  ) {
    this.minParallelWords = options.minParallelWords ?? MIN_PARALLEL_WORDS;
  }

  /** Worker threads started so far (they start on the first unmask that is worth splitting). */
  get running(): number {
    return this.workers.length;
  }

  private start(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(workerUrl());
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (p === undefined) return;
        this.pending.delete(r.id);
        if (r.error === undefined) p.resolve();
        else p.reject(new FedtuneError('FT_ERR_INTERNAL', `unmask worker: ${r.error}`));
      });
      const fail = (e: Error) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        // Start a fresh set next time rather than post to a dead thread.
        if (this.workers.includes(w)) void this.close();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new FedtuneError('FT_ERR_INTERNAL', `unmask worker exited with code ${code}`)));
      w.unref();
      this.workers.push(w);
    }
  }

  /**
   * Removes the plan's masks from `sum` in place (reduced mod 2^bits) and returns it.
   * @throws TypeError / RangeError for a bad plan or a sum of the wrong length; FedtuneError
   * FT_ERR_INTERNAL when a worker fails.
   */
  async unmask(plan: UnmaskPlan, sum: Uint32Array): Promise<Uint32Array> {
    assertUnmaskPlan(plan);
    if (!(sum instanceof Uint32Array) || sum.length !== plan.vectorLength) throw new RangeError(`sum must be a Uint32Array of ${plan.vectorLength} elements`);
    const m = plan.vectorLength;
    const t = plan.terms.length;
    const cells = this.size === 0 || t * m < this.minParallelWords ? [] : splitUnmask(m, t, this.size, MIN_RANGE);
    if (cells.length < 2) return unmaskRange(nodeCryptoProvider, plan, sum, 0);
    const { keys, signs } = packTerms(plan.terms);
    // The workers write into the sum itself when it is in shared memory (RingAccumulator's is),
    // otherwise into a shared copy; extra mask groups write into zeroed partials of their own.
    const inPlace = sum.buffer instanceof SharedArrayBuffer;
    const shared = inPlace ? sum : new Uint32Array(new SharedArrayBuffer(4 * m));
    if (!inPlace) shared.set(sum);
    const partials = new Uint32Array(new SharedArrayBuffer(4 * cells.reduce((n, c) => n + (c.partial ? c.to - c.from : 0), 0)));
    const termBuffer = new SharedArrayBuffer(keys.length + signs.length);
    new Uint8Array(termBuffer).set(keys);
    new Int8Array(termBuffer, keys.length).set(signs);
    this.start();
    let next = 0;
    const placed = cells.map((c) => {
      const target = c.partial ? partials.subarray(next, (next += c.to - c.from)) : shared.subarray(c.from, c.to);
      return { ...c, target };
    });
    const jobs = placed.map((c, i) => {
      const id = this.nextId++;
      const job: UnmaskJob = {
        id,
        buffer: c.target.buffer as SharedArrayBuffer,
        offset: c.target.byteOffset / 4,
        length: c.target.length,
        start: c.from,
        keys: new Uint8Array(termBuffer, 48 * c.termFrom, 48 * (c.termTo - c.termFrom)),
        signs: new Int8Array(termBuffer, keys.length + c.termFrom, c.termTo - c.termFrom),
      };
      const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.workers[i % this.workers.length]!.postMessage(job);
      return done;
    });
    // Idle workers must not keep the process alive, busy ones must.
    for (const w of this.workers) w.ref();
    try {
      await Promise.all(jobs);
    } finally {
      for (const w of this.workers) w.unref();
    }
    for (const c of placed) if (c.partial) ringAddInto(shared, c.target, 32, c.from);
    if (!inPlace) sum.set(shared);
    if (plan.bits < 32) {
      const mask = 2 ** plan.bits - 1;
      for (let i = 0; i < m; i++) sum[i] = sum[i]! & mask;
    }
    return sum;
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
