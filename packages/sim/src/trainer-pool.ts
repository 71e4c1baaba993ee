// Simulated nodes' trainers in worker threads, each thread with its own tfjs engine, so a simulation
// trains on every core. The simulation's thread keeps the sockets, secure aggregation and DP; each
// node's trainer there is a WorkerTrainer that forwards calls to the thread hosting the real one.
// Weights cross as transferred Float32Arrays. A thread builds its trainers from the workload's name
// and the simulation's seed, so they are the ones a single thread would build.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FedtuneError, type TensorSpec, type TrainConfig } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '@fedtune/client';
import { errorFromMessage, type NodeInfo, type TrainerCall, type TrainerReply, type TrainerRequest, type TrainerValue, type TrainerWorkerSpec } from './trainer-messages.js';

/** Trainer threads for `clients` nodes on this machine: one per core, at most one per node; 0 (train in the simulation's thread) on one core. */
export function defaultTrainerWorkers(clients: number): number {
  const cores = availableParallelism();
  return cores < 2 || clients < 2 ? 0 : Math.min(cores, clients);
}

/**
 * The worker's module: the compiled trainer-worker.js in dist/; from the TypeScript sources (tests,
 * benchmarks), a plain-JS entry that registers tsx first, started with the `@fedtune/source`
 * condition so the workspace packages resolve to their sources as in this thread.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(fromSources ? './trainer-worker-entry.js' : './trainer-worker.js', import.meta.url);
  return fromSources ? new Worker(url, { execArgv: [...process.execArgv, '--conditions=@fedtune/source'] }) : new Worker(url);
}

type Pending = { resolve: (v: TrainerValue) => void; reject: (e: Error) => void };

class TrainerThread {
  private readonly worker = startWorker();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('message', (r: TrainerReply) => {
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(errorFromMessage(r.error));
    });
    const fail = (e: Error) => {
      this.failure ??= new FedtuneError('FT_ERR_INTERNAL', `trainer worker stopped: ${e.message}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  call(req: TrainerCall, transfer: ArrayBuffer[] = []): Promise<TrainerValue> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<TrainerValue>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as TrainerRequest, transfer);
    });
  }

  /** A call whose reply nobody awaits; a failure is kept and thrown by the node's next call. */
  post(req: TrainerCall, transfer: ArrayBuffer[], onError: (e: Error) => void): void {
    this.call(req, transfer).catch(onError);
  }

  async close(): Promise<void> {
    this.failure ??= new FedtuneError('FT_ERR_INTERNAL', 'trainer pool closed');
    await this.worker.terminate();
  }
}

/** A LocalTrainer whose model lives in a worker thread; getWeights serves a copy kept here. */
export class WorkerTrainer implements LocalTrainer {
  readonly tensors: readonly TensorSpec[];
  readonly backend: string;
  private readonly mirror: Float32Array;
  private deferred: Error | undefined;

  constructor(
    private readonly thread: TrainerThread,
    readonly node: number,
    info: NodeInfo,
  ) {
    this.tensors = info.tensors;
    this.backend = info.backend;
    this.mirror = info.weights;
  }

  getWeights(): Float32Array {
    return this.mirror.slice();
  }

  /** @throws TypeError / RangeError as an in-thread trainer would, for a wrong type or length. */
  setWeights(data: Float32Array): void {
    if (!(data instanceof Float32Array)) throw new TypeError('setWeights: data must be a Float32Array');
    if (data.length !== this.mirror.length) throw new RangeError(`setWeights: ${data.length} values, the model has ${this.mirror.length}`);
    this.mirror.set(data);
    const copy = data.slice();
    this.thread.post({ op: 'set', node: this.node, weights: copy }, [copy.buffer], (e) => (this.deferred ??= e));
  }

  async fit(config: TrainConfig): Promise<FitOutcome> {
    this.throwDeferred();
    const r = (await this.thread.call({ op: 'fit', node: this.node, config })) as { fit: FitOutcome; weights: Float32Array };
    this.mirror.set(r.weights);
    return r.fit;
  }

  async evaluate(config: TrainConfig): Promise<EvaluateOutcome> {
    this.throwDeferred();
    return ((await this.thread.call({ op: 'evaluate', node: this.node, config })) as { evaluate: EvaluateOutcome }).evaluate;
  }

  dispose(): void {
    this.thread.post({ op: 'dispose', node: this.node }, [], () => {});
  }

  private throwDeferred(): void {
    const e = this.deferred;
    this.deferred = undefined;
    if (e !== undefined) throw e;
  }
}

/** Worker threads hosting a simulation's trainers. close() stops them. */
export class TrainerPool {
  private readonly threads: TrainerThread[];

  /** @throws FedtuneError FT_ERR_CONFIG unless size is an integer >= 1. */
  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new FedtuneError('FT_ERR_CONFIG', `trainer workers must be an integer >= 1, got ${size}`);
    this.threads = Array.from({ length: size }, () => new TrainerThread());
  }

  /**
   * Builds every node's trainer, node i on thread i mod size, and returns them in node order.
   * @throws what the workload throws in a thread (with its FT_ERR code).
   */
  async createNodes(spec: Omit<TrainerWorkerSpec, 'nodes'>): Promise<WorkerTrainer[]> {
    const out = new Array<WorkerTrainer>(spec.clients);
    await Promise.all(
      this.threads.map(async (thread, t) => {
        const nodes = Array.from({ length: spec.clients }, (_, i) => i).filter((i) => i % this.size === t);
        if (nodes.length === 0) return;
        const r = (await thread.call({ op: 'init', spec: { ...spec, nodes } })) as { nodes: NodeInfo[] };
        for (const info of r.nodes) out[info.node] = new WorkerTrainer(thread, info.node, info);
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
