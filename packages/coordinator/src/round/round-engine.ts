// The round engine: runs rounds one after another, each through the pure state machine in
// round-state.ts, with a deadline on every stage, upload slots for bounded memory, and the
// strategy for the server step. Socket handlers call the `on*` methods; the engine never throws
// at a node for another node's fault, and no node's message can end it: a round that fails
// (a non-finite or out-of-bound aggregate, an internal error) aborts and keeps the model.
import { EventEmitter } from 'node:events';
import {
  CHUNK_ELEMENTS,
  FedtuneError,
  LAYOUT_MISMATCH_HINT,
  describeLayoutMismatch,
  l2Norm,
  layoutSize,
  sameLayout,
  type EvaluateResult,
  type FitBegin,
  type FitFailure,
  type CryptoProvider,
  type RandomSource,
  type RingParams,
  type TrainConfig,
  type UpdateChunk,
  type Weights,
} from '@fedtune/shared';
import type { Logger } from '../logger.js';
import type { ModelStore } from '../model/model-store.js';
import type { RoundCommit } from '../store/store.js';
import { participantsOf, trainingOutcome, type TrainingOutcome } from './round-outcome.js';
import type { EvaluateReport, FitAggregate, Strategy, UpdateAggregator } from '../strategy/strategy.js';
import { stepStrategy } from './strategy-step.js';
import type { Clock } from './clock.js';
import { PlainAggregator, type Weighting } from './plain-aggregator.js';
import { advance, closeCollection, collectionDone, newRound, onDropped, onReported, type DropReason, type RoundState } from './round-state.js';
import { summariseCollection, type RoundSummary } from './round-summary.js';
import { dpPopulation, selectCohort, selectUnderDp, type SelectionRule } from './selection.js';
import { Semaphore } from './semaphore.js';
import { awaitStage } from './stage-deadline.js';
import type { NodeTransport } from './transport.js';

export type { TrainingOutcome } from './round-outcome.js';
import { UpdateAssembler } from './update-assembler.js';
import { aggregateSecurely, roundRing, type SecAggConfig } from '../secagg/secure-aggregation.js';
import type { SecAggSession } from '../secagg/secagg-session.js';
import type { UnmaskPool } from '../secagg/unmask-pool.js';

export interface EngineSettings {
  rounds: number;
  minNodes: number;
  minResults: number;
  selection: SelectionRule;
  fitDeadlineMs: number;
  evaluateDeadlineMs: number;
  evaluateEvery: number;
  /** Nodes asked to evaluate, sampled from those ready; default the fit cohort's target size. */
  evaluateClients?: number;
  weighting: Weighting;
  trainConfig: TrainConfig;
  uploadSlots: number;
  /** Present: every round's deltas go through SecAgg+ and the coordinator sees only their sum. */
  secagg?: SecAggConfig;
  /** Nodes enrolled (N), for the sampling rate K/N under uniform selection; default: those connected. */
  population?: number;
  /** An upload slot held this long without a chunk is taken back and its node dropped. */
  uploadIdleMs: number;
  /** The most examples a node may claim. */
  maxExamplesPerNode: number;
  /** L2 bound on a plain update when the round has no clip (a clip, when set, is the bound). */
  maxUpdateNorm?: number;
  /** Rounds failing in a row on internal errors before the engine gives up (and says so). */
  maxConsecutiveFailures?: number;
  /**
   * DP on (issue 15, item 6): every cohort is a Poisson sample at q (a uniform K becomes q = K/N,
   * N from enrolled and known nodes, never below them), drawn from `privacyRandom`, so the rate the
   * ledger charges is the rate the selection realised.
   */
  dpSampling?: boolean;
  /** Present (under DP, issue 15 item 4): federated evaluation does not run, and each summary says why. */
  evaluationOff?: string;
}

/** What the engine is doing, for /healthz and the dashboard. */
export type EngineState = 'idle' | 'waiting-for-nodes' | 'running' | 'finished' | 'stopped' | 'failed';

/** Float32 rounding of a delta clipped exactly at C can land just above it. */
const CLIP_TOLERANCE = 1 + 1e-4;

export interface EngineDeps {
  settings: EngineSettings;
  strategy: Strategy;
  store: ModelStore;
  transport: NodeTransport;
  random: RandomSource;
  /** The OS CSPRNG: draws the DP cohort (never the config seed). Default: `random`. */
  privacyRandom?: RandomSource;
  clock: Clock;
  logger: Logger;
  crypto: CryptoProvider;
  /** Worker threads for mask removal (SecAgg rounds). */
  unmaskPool: UnmaskPool;
  /**
   * Makes a round durable: its summary, the new model, the ledger entries and the strategy state
   * in one transaction (the Store). Called once per round (and for the initial model) before the
   * round's end is announced; when it throws, the round is undone in memory and counts as failed.
   */
  commit?: (commit: Omit<RoundCommit, 'at'>) => Promise<void>;
  /** Refusals and rejections of updates, for the audit log. */
  audit?: (event: { node: string; round: number; code: string; message: string }) => void;
}


interface Upload {
  header: FitBegin;
  assembler: UpdateAssembler;
  bytes: number;
  /** Fires when the node holds its slot for uploadIdleMs without sending a chunk. */
  idle: unknown;
}

interface Collection {
  state: RoundState;
  /** init: a node's initial weights; delta: deltas in the clear; ready: SecAgg, training done. */
  task: 'init' | 'delta' | 'ready';
  /** Example counts and fit:begin bytes of nodes that reported (SecAgg rounds). */
  ready: Map<string, { numExamples: number; bytes: number }>;
  uploads: Map<string, Upload>;
  /** Nodes holding an upload slot. */
  slotHolders: Set<string>;
  aggregator: UpdateAggregator | null;
  /** Refuses an update whose fit:begin does not meet the round's requirements (DP attestations). */
  checkFitBegin: ((node: string, msg: FitBegin) => void) | undefined;
  /** L2 bound each plain update must meet (the round's clip, or the operator's bound). */
  normBound: number;
  initWeights: Weights | null;
  /** What the init node says its model is (for exports). */
  initInfo: Record<string, string> | null;
  uploadedBytes: Map<string, number>;
  wake: () => void;
}

/** A group of this engine's nodes for one round (see RoundEngine.runGroup). */
export interface GroupSpec {
  round: number;
  /** The model the group trains from. */
  global: { version: string; weights: Weights };
  selected: string[];
  /** Results to wait for before closing collection early. */
  target: number;
  /** Fewest results with which the group aggregates. */
  minResults: number;
  fitConfig: TrainConfig;
  /** SecAgg: the configuration, the round's ring and clip, and the fewest masked inputs to unmask. */
  secagg?: SecAggConfig & { ring: RingParams };
  /** Plain rounds: the L2 bound each update must meet, and an aggregator instead of the weighted mean. */
  clip?: number;
  aggregator?: UpdateAggregator;
  /** Refuses a node's fit:begin that does not meet the round's requirements (DP attestations). */
  checkFitBegin?: (node: string, msg: FitBegin) => void;
}

/** What a group produced: its aggregate (with the exact ring sum under SecAgg), or why it did not. */
export type GroupOutcome =
  | { ok: true; summary: RoundSummary; aggregate: FitAggregate; contributors: readonly string[]; reported: ReadonlySet<string> }
  | { ok: false; summary: RoundSummary; reason: string; reported: ReadonlySet<string> };

interface Evaluation {
  round: number;
  pending: Set<string>;
  reports: EvaluateReport[];
  wake: () => void;
}

export interface RoundEngineEvents {
  round: [RoundSummary];
  finished: [string];
}

export class RoundEngine extends EventEmitter<RoundEngineEvents> {
  private collection: Collection | null = null;
  private secaggSession: SecAggSession | null = null;
  private evaluation: Evaluation | null = null;
  private readonly slots: Semaphore;
  private readonly stopController = new AbortController();
  /** The last completed round; rounds continue from here (non-zero after a resume). */
  private lastRound: number;
  private engineState: EngineState = 'idle';
  /** Every node id seen available at a round start: the population under DP is never below it. */
  private readonly known = new Set<string>();
  /** Completed rounds of the whole run, those before a restart included. */
  private completed: number;
  private finalOutcome: TrainingOutcome | null = null;

  /** `resumed`: where a restarted run stands (the last committed round and how many completed). */
  constructor(
    private readonly deps: EngineDeps,
    resumed: { lastRound: number; completedRounds: number } = { lastRound: 0, completedRounds: 0 },
  ) {
    super();
    this.slots = new Semaphore(deps.settings.uploadSlots);
    this.lastRound = resumed.lastRound;
    this.completed = resumed.completedRounds;
  }

  /** How training ended; null while it runs. */
  get outcome(): TrainingOutcome | null {
    return this.finalOutcome;
  }

  get currentRound(): number | null {
    return this.collection?.state.round ?? this.evaluation?.round ?? null;
  }

  get state(): EngineState {
    return this.engineState;
  }

  /** A round in flight when the engine stops is abandoned: nothing of it is committed or announced. */
  private throwIfStopped(round: number): void {
    if (this.stopController.signal.aborted) throw new FedtuneError('FT_ERR_ROUND_ABORTED', `round ${round} abandoned: the coordinator is stopping`);
  }

  stop(): void {
    this.stopController.abort();
    this.collection?.wake();
    this.evaluation?.wake();
  }

  /** Runs rounds until the configured number is reached or `stop()`. Resolves with the summaries. */
  async run(): Promise<RoundSummary[]> {
    const { settings, transport, logger } = this.deps;
    const summaries: RoundSummary[] = [];
    const signal = this.stopController.signal;
    let stopReason: string | undefined;
    let failures = 0;
    while (this.lastRound < settings.rounds && !signal.aborted) {
      this.engineState = 'waiting-for-nodes';
      try {
        await transport.waitForNodes(settings.minNodes, signal);
      } catch (err) {
        if (signal.aborted) break;
        throw err;
      }
      this.engineState = 'running';
      const round = this.lastRound + 1;
      let summary: RoundSummary | { stop: string };
      try {
        if (this.deps.store.current === null) {
          await this.initialiseModel();
          failures = 0;
          continue;
        }
        summary = await this.runRound(round);
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        // Whatever went wrong stays inside this round: it aborts, the model stays as it was.
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        logger.error('round failed', { round, error: err instanceof Error ? (err.stack ?? message) : message, inARow: failures });
        this.collection = null;
        this.evaluation = null;
        if (failures >= (settings.maxConsecutiveFailures ?? 3)) {
          this.engineState = 'failed';
          stopReason = `engine failed: ${failures} rounds in a row ended in internal errors (last: ${message})`;
          break;
        }
        summary = this.failedRound(round, `internal error: ${message}`);
        try {
          await this.deps.commit?.({ round, summary, model: null, ledger: [], participants: [] });
        } catch (commitErr) {
          logger.error('could not record the failed round', { round, error: (commitErr as Error).message });
        }
      }
      if ('stop' in summary) {
        stopReason = summary.stop;
        break;
      }
      this.lastRound = summary.round;
      if (summary.status === 'completed') this.completed++;
      summaries.push(summary);
      this.emit('round', summary);
    }
    if (this.engineState !== 'failed') this.engineState = signal.aborted ? 'stopped' : 'finished';
    this.finalOutcome = trainingOutcome({
      stopped: signal.aborted && this.engineState !== 'failed',
      failed: this.engineState === 'failed',
      stopReason,
      lastRound: this.lastRound,
      completedRounds: this.completed,
      rounds: settings.rounds,
      modelVersion: this.deps.store.current?.version ?? null,
    });
    const o = this.finalOutcome;
    if (o.status === 'stopped') {
      // A stop is not the end of training: the coordinator tells nodes it is restarting.
      logger.info('training stopped', { round: this.lastRound });
    } else {
      transport.broadcastFinished({ reason: o.reason, modelVersion: o.modelVersion, status: o.status, completedRounds: o.completedRounds, rounds: o.rounds });
      logger.info('training finished', { reason: o.reason, status: o.status });
    }
    this.emit('finished', this.finalOutcome.reason);
    return summaries;
  }

  // ---- inbound, called by the socket handlers after decoding and validation -------------------

  /** A node announces its update. Resolves once it holds an upload slot (its ack waits until then). */
  async onFitBegin(node: string, msg: FitBegin, frameBytes = 0): Promise<void> {
    const c = this.requireCollection(node, msg.round);
    if (c.uploads.has(node) || c.state.reported.has(node)) throw new FedtuneError('FT_ERR_DUPLICATE', `update for round ${msg.round}`);
    if (msg.numExamples > this.deps.settings.maxExamplesPerNode) {
      this.dropFromCollection(c, node, 'rejected');
      throw new FedtuneError('FT_ERR_BOUND', `numExamples ${msg.numExamples} > the limit of ${this.deps.settings.maxExamplesPerNode}`);
    }
    if (c.task !== 'init') {
      // DP: an update whose node does not attest what the round required is not counted.
      try {
        c.checkFitBegin?.(node, msg);
      } catch (err) {
        this.dropFromCollection(c, node, 'rejected');
        this.deps.logger.warn('update refused', { node, round: msg.round, code: (err as FedtuneError).code, error: (err as Error).message });
        this.deps.audit?.({ node, round: msg.round, code: (err as FedtuneError).code ?? 'FT_ERR_INTERNAL', message: (err as Error).message });
        throw err;
      }
    }
    if (c.task === 'ready') {
      // SecAgg round: training is done; the update itself comes masked, through the SecAgg stages.
      if (Object.keys(msg.metrics).length > 0) throw new FedtuneError('FT_ERR_STAGE', 'a SecAgg round takes no per-node metrics in the clear');
      c.ready.set(node, { numExamples: msg.numExamples, bytes: frameBytes });
      c.state = onReported(c.state, node);
      c.wake();
      return;
    }
    let total: number;
    if (c.task === 'init') {
      if (msg.tensors === undefined) throw new FedtuneError('FT_ERR_SHAPE', 'an init update must carry its tensor layout');
      total = layoutSize(msg.tensors);
    } else {
      const current = this.deps.store.current!.weights;
      if (msg.tensors !== undefined && !sameLayout(msg.tensors, current.tensors)) {
        this.dropFromCollection(c, node, 'rejected');
        throw new FedtuneError('FT_ERR_SHAPE', `${describeLayoutMismatch(msg.tensors, current.tensors, 'the update')}: ${LAYOUT_MISMATCH_HINT}`);
      }
      total = current.data.length;
    }
    const bad = Object.entries(msg.metrics).find(([, v]) => !Number.isFinite(v));
    if (bad) throw new FedtuneError('FT_ERR_NON_FINITE', `metric ${bad[0]}`);
    await this.slots.acquire();
    if (this.collection !== c || c.state.stage !== 'collect' || c.state.dropped.has(node)) {
      this.slots.release();
      throw new FedtuneError('FT_ERR_STALE_ROUND', `round ${msg.round} closed while waiting for an upload slot`);
    }
    c.slotHolders.add(node);
    const upload: Upload = { header: msg, assembler: new UpdateAssembler(total, CHUNK_ELEMENTS), bytes: 0, idle: null };
    c.uploads.set(node, upload);
    this.armIdle(c, node, upload);
  }

  /** (Re)starts the timer that takes an upload slot back from a node that stopped sending. */
  private armIdle(c: Collection, node: string, upload: Upload): void {
    const { clock, settings, logger, transport } = this.deps;
    if (upload.idle !== null) clock.clearTimeout(upload.idle);
    upload.idle = clock.setTimeout(() => {
      if (c.uploads.get(node) !== upload) return;
      logger.warn('upload stalled: slot taken back', { node, round: c.state.round, idleMs: settings.uploadIdleMs, chunks: upload.assembler.bytesReceived });
      transport.missedDeadline(node);
      this.dropFromCollection(c, node, 'deadline');
    }, settings.uploadIdleMs);
  }

  /** One chunk of a node's update. A bad chunk drops the node from the round and is rethrown. */
  onFitChunk(node: string, msg: UpdateChunk, frameBytes: number): void {
    const c = this.requireCollection(node, msg.round);
    const upload = c.uploads.get(node);
    if (upload === undefined) throw new FedtuneError('FT_ERR_STAGE', 'send fit:begin before chunks');
    let data: Float32Array | null = null;
    try {
      upload.assembler.add(msg.index, msg.totalChunks, msg.data, frameBytes);
      this.armIdle(c, node, upload);
      if (!upload.assembler.complete) return;
      data = upload.assembler.result();
      if (c.task === 'delta') {
        const norm = l2Norm(data);
        if (!(norm <= c.normBound)) throw new FedtuneError('FT_ERR_BOUND', `update L2 norm ${norm.toPrecision(4)} > the bound ${c.normBound.toPrecision(4)}`);
        // The round's aggregator may refuse it too (central DP checks the clip exactly, issue 15 item 7).
        c.aggregator!.add(data, upload.header.numExamples, upload.header.metrics);
      }
    } catch (err) {
      this.dropFromCollection(c, node, 'rejected');
      this.deps.logger.warn('update rejected', { node, round: msg.round, code: (err as FedtuneError).code, error: (err as Error).message });
      this.deps.audit?.({ node, round: msg.round, code: (err as FedtuneError).code ?? 'FT_ERR_INTERNAL', message: (err as Error).message });
      throw err;
    }
    if (c.task === 'init') {
      c.initWeights = { tensors: upload.header.tensors!, data };
      c.initInfo = upload.header.modelInfo ?? null;
    }
    c.uploadedBytes.set(node, upload.assembler.bytesReceived);
    this.releaseUpload(c, node);
    c.state = onReported(c.state, node);
    c.wake();
  }

  onFitFailure(node: string, msg: FitFailure): void {
    const c = this.collection;
    if (c === null || c.state.round !== msg.round) return;
    this.deps.logger.warn('node reported a training failure', { node, round: msg.round, code: msg.error.code, error: msg.error.message });
    this.deps.audit?.({ node, round: msg.round, code: msg.error.code, message: `the node failed: ${msg.error.message}` });
    this.dropFromCollection(c, node, 'failed');
  }

  onEvaluateResult(node: string, msg: EvaluateResult): void {
    const e = this.evaluation;
    if (e === null || e.round !== msg.round) throw new FedtuneError('FT_ERR_STALE_ROUND', `no evaluation for round ${msg.round}`);
    if (!e.pending.has(node)) throw new FedtuneError('FT_ERR_NOT_SELECTED', 'not asked to evaluate, or already reported');
    e.pending.delete(node);
    if (!Number.isFinite(msg.loss) || Object.values(msg.metrics).some((v) => !Number.isFinite(v))) {
      e.wake();
      throw new FedtuneError('FT_ERR_NON_FINITE', 'evaluation loss or metric');
    }
    if (msg.numExamples > this.deps.settings.maxExamplesPerNode) {
      e.wake();
      throw new FedtuneError('FT_ERR_BOUND', `numExamples ${msg.numExamples} > the limit of ${this.deps.settings.maxExamplesPerNode}`);
    }
    e.reports.push({ numExamples: msg.numExamples, loss: msg.loss, metrics: msg.metrics });
    // Its instruction is done: selectable again at once, before the next round is drawn.
    this.deps.transport.contributed(node);
    e.wake();
  }

  /** A SecAgg stage message, decoded; routed to the running session. */
  onSecAggMessage(node: string, event: string, message: unknown, frameBytes: number): void {
    if (this.secaggSession === null) throw new FedtuneError('FT_ERR_STAGE', 'no secure aggregation is running');
    this.secaggSession.onMessage(node, event, message, frameBytes);
  }

  /** A node disconnected: it leaves whatever it was part of. */
  onNodeLost(node: string): void {
    this.secaggSession?.onNodeLost(node);
    const c = this.collection;
    if (c !== null) this.dropFromCollection(c, node, 'disconnected');
    const e = this.evaluation;
    if (e !== null && e.pending.delete(node)) e.wake();
  }

  // ---- round driving -------------------------------------------------------------------------

  /** The summary of a round that failed before it could report more. */
  private failedRound(round: number, reason: string): RoundSummary {
    const version = this.deps.store.current?.version ?? null;
    this.deps.transport.broadcastRoundEnd({ round, status: 'aborted', modelVersion: version, reason: reason.slice(0, 2048) });
    const spent = this.deps.strategy.privacySpent?.() ?? null;
    return {
      ...summariseCollection(newRound(round, [], 0, 0), new Map(), 0),
      status: 'aborted',
      abortReason: reason,
      survivors: 0,
      epsilon: spent?.epsilon ?? null,
      delta: spent?.delta ?? null,
      modelVersion: version,
    };
  }

  private requireCollection(node: string, round: number): Collection {
    const c = this.collection;
    if (c === null || c.state.round !== round || c.state.stage !== 'collect') throw new FedtuneError('FT_ERR_STALE_ROUND', `round ${round} is not collecting`);
    if (!c.state.selected.includes(node)) throw new FedtuneError('FT_ERR_NOT_SELECTED');
    if (c.state.dropped.has(node)) throw new FedtuneError('FT_ERR_STALE_ROUND', 'node was dropped from this round');
    return c;
  }

  private releaseUpload(c: Collection, node: string): void {
    const upload = c.uploads.get(node);
    if (upload?.idle != null) this.deps.clock.clearTimeout(upload.idle);
    c.uploads.delete(node);
    if (c.slotHolders.delete(node)) this.slots.release();
  }

  private dropFromCollection(c: Collection, node: string, reason: DropReason): void {
    this.releaseUpload(c, node);
    c.state = onDropped(c.state, node, reason);
    c.wake();
  }

  private async collect(
    state: RoundState,
    task: Collection['task'],
    send: (node: string) => void,
    clip?: number,
    aggregator?: UpdateAggregator,
    checkFitBegin?: (node: string, msg: FitBegin) => void,
  ): Promise<Collection> {
    const { settings } = this.deps;
    const c: Collection = {
      state: advance(state, 'collect'),
      task,
      ready: new Map(),
      uploads: new Map(),
      slotHolders: new Set(),
      aggregator: task === 'delta' ? (aggregator ?? new PlainAggregator(this.deps.store.current!.weights.data.length, settings.weighting)) : null,
      checkFitBegin,
      normBound: clip !== undefined ? clip * CLIP_TOLERANCE : (settings.maxUpdateNorm ?? Infinity),
      initWeights: null,
      initInfo: null,
      uploadedBytes: new Map(),
      wake: () => {},
    };
    this.collection = c;
    for (const node of c.state.selected) send(node);
    const wait = awaitStage(
      this.deps.clock,
      settings.fitDeadlineMs,
      () => collectionDone(c.state),
      (timedOut) => {
        this.collection = null;
        c.state = closeCollection(c.state, timedOut);
        for (const node of [...c.uploads.keys()]) this.releaseUpload(c, node);
        for (const [node, d] of c.state.dropped) if (d.reason === 'deadline') this.deps.transport.missedDeadline(node);
        for (const node of c.state.reported) this.deps.transport.contributed(node);
      },
      this.stopController.signal,
    );
    c.wake = wait.wake;
    await wait.closed;
    return c;
  }

  /** Asks one node for freshly initialised weights (Flower's approach: the model comes from a node). */
  async initialiseModel(): Promise<void> {
    const { transport, random, settings, logger } = this.deps;
    const available = transport.available();
    const node = available[random.int(available.length)]!;
    logger.info('requesting initial weights', { node });
    const state = { ...newRound(0, [node], 1, 1) };
    const c = await this.collect(state, 'init', (n) =>
      transport.sendFit(n, { round: 0, modelVersion: null, task: 'init', config: settings.trainConfig, deadlineMs: settings.fitDeadlineMs }),
    );
    this.throwIfStopped(0);
    if (c.state.stage === 'aborted' || c.initWeights === null) {
      logger.warn('initial weights not received; will ask again', { node, reason: c.state.abortReason });
      return;
    }
    const version = this.deps.store.put(c.initWeights);
    try {
      await this.deps.commit?.({
        round: 0,
        summary: null,
        model: { version, weights: c.initWeights },
        strategyState: this.deps.strategy.saveState?.() ?? null,
        ledger: [],
        participants: [{ node, outcome: 'contributed', stage: null }],
        ...(c.initInfo === null ? {} : { modelInfo: c.initInfo }),
      });
    } catch (err) {
      this.deps.store.setCurrent(null);
      throw err;
    }
    logger.info('initial model', { version, elements: c.initWeights.data.length });
    transport.refuseOtherLayouts?.(c.initWeights.tensors);
  }

  /** The user-level sampling rate of a round: Poisson rate, or selected over the population. */
  private samplingRate(selected: number, available: number): number {
    const { selection, population } = this.deps.settings;
    if (selection.kind === 'poisson') return selection.sampleRate;
    return Math.min(1, selected / Math.max(1, population ?? available));
  }

  private async runRound(round: number): Promise<RoundSummary | { stop: string }> {
    const { settings, strategy, store, transport, random, clock, logger } = this.deps;
    const started = clock.now();
    const global = store.current!;
    const available = transport.available();
    for (const id of available) this.known.add(id);
    // Under DP the cohort is a Poisson sample from the OS CSPRNG at the rate the ledger charges.
    const population = dpPopulation(settings.population, settings.secagg?.identityKeys?.size, this.known.size);
    const { selected, target, samplingRate } = settings.dpSampling
      ? selectUnderDp(available, settings.selection, population, this.deps.privacyRandom ?? random)
      : { ...selectCohort(available, settings.selection, random), samplingRate: undefined };
    const minResults = Math.min(settings.minResults, Math.max(target, 1));
    const sa = settings.secagg;
    // Wrappers (DP) plan the round before any instruction leaves: clip, ring headroom, budget.
    const req =
      strategy.prepareRound?.({
        round,
        selected: selected.length,
        samplingRate: samplingRate ?? this.samplingRate(selected.length, available.length),
        dimension: global.weights.data.length,
        secagg: sa !== undefined,
        bits: sa?.bits ?? 32,
        population,
      }) ?? {};
    if (req.stop !== undefined) {
      logger.warn('training stops', { round, reason: req.stop });
      return { stop: req.stop };
    }
    logger.info('round started', { round, selected: selected.length, target, secagg: sa !== undefined });
    const fitConfig = strategy.configureFit(round, settings.trainConfig);
    const l2Clip = req.clip ?? sa?.l2Clip;
    const g = await this.runGroup({
      round,
      global,
      selected,
      target,
      minResults: req.minResults ?? minResults,
      fitConfig,
      ...(sa === undefined
        ? { ...(l2Clip === undefined ? {} : { clip: l2Clip }), ...(req.aggregator === undefined ? {} : { aggregator: req.aggregator }) }
        : {
            secagg: {
              ...sa,
              l2Clip: l2Clip!,
              ring: req.ring ?? roundRing({ ...sa, l2Clip: l2Clip! }, selected.length),
              ...(req.minSurvivors === undefined ? {} : { minSurvivors: req.minSurvivors }),
            },
          }),
      checkFitBegin: (node, msg) => strategy.checkFitBegin?.(node, msg),
    });
    const summary = g.summary;
    const spent = () => strategy.privacySpent?.() ?? null;
    summary.epsilon = spent()?.epsilon ?? null;
    summary.delta = spent()?.delta ?? null;
    const abort = async (reason: string): Promise<RoundSummary> => {
      this.throwIfStopped(round);
      logger.warn('round aborted', { round, reason });
      const aborted = { ...summary, status: 'aborted' as const, abortReason: reason, survivors: 0, durationMs: clock.now() - started, modelVersion: global.version };
      await this.deps.commit?.({ round, summary: aborted, model: null, ledger: [], participants: participantsOf(aborted, g.reported, 'round-aborted') });
      transport.broadcastRoundEnd({ round, status: 'aborted', modelVersion: global.version, reason });
      return aborted;
    };
    if (!g.ok) return abort(g.reason);
    const { aggregate, contributors } = g;
    // A strategy with state (momentum, moments, a ledger) is rolled back if its step is unusable,
    // or if the round cannot be made durable.
    const step = stepStrategy(strategy, round, global.weights.data, aggregate);
    if (!step.ok) return abort(step.reason);
    const { next, rollback } = step;
    const weights: Weights = { tensors: global.weights.tensors, data: next };
    const version = store.put(weights);
    summary.trainLoss = aggregate.metrics.trainLoss ?? null;
    summary.fitMetrics = aggregate.metrics;
    summary.epsilon = spent()?.epsilon ?? null;
    summary.delta = spent()?.delta ?? null;
    if (settings.evaluationOff !== undefined) {
      summary.evalSkipped = settings.evaluationOff;
    } else if (settings.evaluateEvery > 0 && round % settings.evaluateEvery === 0) {
      const ev = await this.evaluate(round, version);
      summary.evalLoss = ev.loss;
      summary.evalMetrics = ev.metrics;
      summary.evalAccuracy = ev.metrics.accuracy ?? null;
    }
    const done: RoundSummary = { ...summary, durationMs: clock.now() - started, modelVersion: version };
    try {
      this.throwIfStopped(round);
      await this.deps.commit?.({
        round,
        summary: done,
        model: { version, weights },
        strategyState: strategy.saveState?.() ?? null,
        ledger: step.ledger,
        participants: participantsOf(done, contributors, 'contributed'),
      });
    } catch (err) {
      // Not durable, not done: the model and the strategy go back to where the store has them.
      rollback();
      store.setCurrent(global.version);
      throw err;
    }
    transport.broadcastRoundEnd({ round, status: 'completed', modelVersion: version });
    logger.info('round completed', { round, survivors: summary.survivors, dropped: summary.dropped, trainLoss: summary.trainLoss, evalLoss: summary.evalLoss });
    return done;
  }

  /**
   * One group of this engine's nodes through a round's first half: the fit instruction to
   * `selected`, collection, then secure aggregation (or the plain aggregator) into the group's
   * aggregate, never stepping the strategy. The single-instance round runs one group over the whole
   * cohort; an instance among several runs one per round plan (cluster/cluster-member.ts).
   * @throws FedtuneError FT_ERR_ROUND_ABORTED when the engine stops meanwhile.
   */
  async runGroup(spec: GroupSpec): Promise<GroupOutcome> {
    const { settings, transport, random, clock, logger } = this.deps;
    const { round, global, fitConfig } = spec;
    const started = clock.now();
    const sa = spec.secagg;
    const c = await this.collect(
      newRound(round, spec.selected, spec.target, spec.minResults),
      sa === undefined ? 'delta' : 'ready',
      (n) =>
        transport.sendFit(n, {
          round,
          modelVersion: global.version,
          task: 'delta',
          config: fitConfig,
          deadlineMs: settings.fitDeadlineMs,
          ...(sa === undefined ? {} : { secagg: { bits: sa.ring.bits, scale: sa.ring.scale, maxSummands: sa.ring.maxSummands, clientBound: sa.ring.clientBound, l2Clip: sa.l2Clip } }),
        }),
      sa?.l2Clip ?? spec.clip,
      spec.aggregator,
      spec.checkFitBegin,
    );
    const summary = summariseCollection(c.state, c.uploadedBytes, clock.now() - started);
    const reported = c.state.reported;
    this.throwIfStopped(round);
    if (c.state.stage === 'aborted') return { ok: false, summary, reason: c.state.abortReason ?? 'aborted', reported };
    if (sa === undefined) return { ok: true, summary, aggregate: c.aggregator!.finish(), contributors: [...reported], reported };
    const examples = new Map([...c.ready].map(([n, r]) => [n, r.numExamples]));
    const res = await aggregateSecurely(
      { sender: { send: (n, e, m) => transport.sendSecAgg(n, e, m) }, crypto: this.deps.crypto, random, clock, logger, pool: this.deps.unmaskPool, onSession: (s) => (this.secaggSession = s) },
      {
        ...sa,
        // The nodes' distributed noise (ring units) widens the bound the decoded sum is checked against.
        ...(typeof fitConfig.dpLocalVariance === 'number' ? { noiseVariancePerNode: fitConfig.dpLocalVariance } : {}),
      },
      round,
      [...reported],
      sa.ring,
      global.weights.data.length,
      examples,
    );
    const drops = res.drops.map((d) => ({ node: d.node, reason: d.reason === 'disconnected' ? ('disconnected' as const) : d.reason === 'rejected' ? ('rejected' as const) : ('deadline' as const), stage: `secagg:${d.stage}` as const }));
    summary.droppedDetail.push(...drops);
    summary.dropped = summary.droppedDetail.length;
    summary.secagg = { stageMs: res.stageMs, degree: res.graph?.k ?? null, threshold: res.graph?.t ?? null, bits: sa.ring.bits, scale: sa.ring.scale };
    if (!res.ok) {
      // A node the abort is attributed to sits out the next rounds, so honest ones can complete.
      for (const node of res.blame ?? []) {
        transport.missedDeadline(node);
        summary.droppedDetail.push({ node, reason: 'rejected', stage: `secagg:${res.stage}` });
      }
      summary.dropped = summary.droppedDetail.length;
      return { ok: false, summary, reason: `secure aggregation aborted at ${res.stage}: ${res.reason}`, reported };
    }
    summary.survivors = res.survivors.length;
    const perNode = res.survivors.map((n) => (res.bytes.get(n) ?? 0) + (c.ready.get(n)?.bytes ?? 0));
    summary.uploadBytesPerClient = perNode.reduce((a, b) => a + b, 0) / Math.max(1, perNode.length);
    return { ok: true, summary, aggregate: res.aggregate, contributors: res.survivors, reported };
  }

  private async evaluate(round: number, version: string) {
    const { settings, strategy, transport, random } = this.deps;
    // A sampled cohort of ready nodes, never every connected one: Sybil sockets cannot stall it.
    const available = transport.available();
    const count = settings.evaluateClients ?? (settings.selection.kind === 'uniform' ? settings.selection.clientsPerRound : Math.max(1, Math.ceil(settings.selection.sampleRate * available.length)));
    const nodes = selectCohort(available, { kind: 'uniform', clientsPerRound: count, overSelection: 0 }, random).selected;
    const e: Evaluation = { round, pending: new Set(nodes), reports: [], wake: () => {} };
    this.evaluation = e;
    const config = strategy.configureEvaluate(round, settings.trainConfig);
    for (const n of nodes) transport.sendEvaluate(n, { round, modelVersion: version, config, deadlineMs: settings.evaluateDeadlineMs });
    const wait = awaitStage(this.deps.clock, settings.evaluateDeadlineMs, () => e.pending.size === 0, () => (this.evaluation = null), this.stopController.signal);
    e.wake = wait.wake;
    await wait.closed;
    return strategy.aggregateEvaluate(round, e.reports);
  }
}
