// Parallel mask removal (Bonawitz et al. 2017 §4 round 4) on worker threads that stay up across
// rounds, the calling thread taking its share: the work on the sum (in shared memory) is cut by
// ranges and, where the vector is too short to keep every core busy, by masks as well
// (unmask-worker-job.ts), and the threads claim the cells one at a time. A round too small to
// gain from threads is unmasked on the calling thread alone.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FedtuneError, assertUnmaskPlan, nodeCryptoProvider, ringAddInto, unmaskRange, type UnmaskPlan } from '@fedtune/shared';
import { type UnmaskBatch, packTerms, runUnmaskBatch, splitUnmask } from './unmask-worker-job.js';

interface Reply {
  id: number;
  error?: string;
}

/**
 * Mask words (masks x elements) below which the calling thread does the work alone: around 2^20
 * words (0.6-0.9 ms on one core here) posting the work and waking a worker cost about what the
 * second core saves; from 2^21 the pool won in every shape measured (docs/BENCHMARKS.md).
 */
export const MIN_PARALLEL_WORDS = 1 << 21;
/** The shortest range a cell gets before masks are split instead. */
const MIN_RANGE = 1 << 14;
/** Cells per thread: a few, so a thread slowed by another process leaves work to the others. */
const CELLS_PER_THREAD = 2;

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
  /**
   * Whether the calling thread removes masks too (default true). False keeps its event loop free
   * during an unmask; then give one worker per core.
   */
  useCallingThread?: boolean;
}

export class UnmaskPool {
  private workers: Worker[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { settle: () => void; reject: (e: Error) => void }>();
  private readonly minParallelWords: number;
  private readonly useCallingThread: boolean;

  /**
   * `size` worker threads; 0 removes masks on the calling thread alone. Default: one fewer than
   * the cores, the calling thread being the last.
   */
  constructor(
    readonly size = Math.max(1, availableParallelism() - 1),
    options: UnmaskPoolOptions = {},
  ) {
    this.minParallelWords = options.minParallelWords ?? MIN_PARALLEL_WORDS;
    this.useCallingThread = options.useCallingThread ?? true;
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
        if (r.error === undefined) p.settle();
        else p.reject(new FedtuneError('FT_ERR_INTERNAL', `unmask worker: ${r.error}`));
      });
      const fail = (e: Error) => {
        for (const p of this.pending.values()) p.reject(e);
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
    const threads = this.size + (this.useCallingThread ? 1 : 0);
    const cells = this.size === 0 || t * m < this.minParallelWords ? [] : splitUnmask(m, t, threads * CELLS_PER_THREAD, MIN_RANGE);
    if (cells.length < 2) return unmaskRange(nodeCryptoProvider, plan, sum, 0);
    const { keys, signs } = packTerms(plan.terms);
    // The threads write into the sum itself when it is in shared memory (RingAccumulator's is),
    // otherwise into a shared copy; extra mask groups write into zeroed partials of their own.
    const inPlace = sum.buffer instanceof SharedArrayBuffer;
    const shared = inPlace ? sum : new Uint32Array(new SharedArrayBuffer(4 * m));
    if (!inPlace) shared.set(sum);
    const partials = new Uint32Array(new SharedArrayBuffer(4 * cells.reduce((n, c) => n + (c.partial ? c.to - c.from : 0), 0)));
    const countersAt = Math.ceil((keys.length + signs.length) / 4) * 4;
    const termBuffer = new SharedArrayBuffer(countersAt + 8);
    new Uint8Array(termBuffer, 0, keys.length).set(keys);
    new Int8Array(termBuffer, keys.length, signs.length).set(signs);
    let next = 0;
    const targets = cells.map((c) => (c.partial ? partials.subarray(next, (next += c.to - c.from)) : shared.subarray(c.from, c.to)));
    const batch: UnmaskBatch = {
      id: this.nextId++,
      cells: cells.map((c, i) => ({ buffer: targets[i]!.buffer as SharedArrayBuffer, offset: targets[i]!.byteOffset / 4, length: targets[i]!.length, start: c.from, termFrom: c.termFrom, termTo: c.termTo })),
      keys: new Uint8Array(termBuffer, 0, keys.length),
      signs: new Int8Array(termBuffer, keys.length, signs.length),
      counters: new Int32Array(termBuffer, countersAt, 2),
    };
    this.start();
    // Busy workers must keep the process alive, idle ones must not.
    for (const w of this.workers) {
      w.ref();
      w.postMessage(batch);
    }
    try {
      if (this.useCallingThread) runUnmaskBatch(nodeCryptoProvider, batch);
      // Every claimed cell finished, or wait for the workers that hold one (each replies once it
      // finds no cell left to claim).
      if (Atomics.load(batch.counters, 1) < cells.length) {
        await new Promise<void>((resolve, reject) => {
          const settle = () => {
            if (Atomics.load(batch.counters, 1) === cells.length) resolve();
          };
          this.pending.set(batch.id, { settle, reject });
        });
      }
    } finally {
      this.pending.delete(batch.id);
      for (const w of this.workers) w.unref();
    }
    cells.forEach((c, i) => {
      if (c.partial) ringAddInto(shared, targets[i]!, 32, c.from);
    });
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
