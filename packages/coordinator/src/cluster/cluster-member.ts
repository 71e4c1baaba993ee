// One coordinator instance among several on a PostgreSQL store (Bonawitz et al. 2019, §4: an
// aggregator): it says it is alive with its ready nodes, runs SecAgg+ over a group of its own nodes
// for every round plan (never fewer than the plan's minimum; such a draw does not run), removes
// the masks itself, in parallel with the other instances, and writes the group's sum; it serves
// each committed model to its nodes and tells them of each round's end and of training's end.
// It leads the run while it holds the leader's lock (leader-lease.ts, cluster-leader.ts).
import type { RandomSource, TrainingFinished } from '@fedtune/shared';
import type { CoordinatorConfig } from '../config.js';
import { checkDpAttestation } from '../dp/dp-strategy.js';
import type { DpRoundPlan } from '../dp/privacy-controller.js';
import type { Logger } from '../logger.js';
import type { ModelStore } from '../model/model-store.js';
import type { Clock } from '../round/clock.js';
import { participantsOf, type TrainingOutcome } from '../round/round-outcome.js';
import type { RoundEngine } from '../round/round-engine.js';
import type { RoundSummary } from '../round/round-summary.js';
import type { SecAggConfig } from '../secagg/secure-aggregation.js';
import type { PostgresStore } from '../store/postgres-store.js';
import type { Strategy } from '../strategy/strategy.js';
import type { SocketServer } from '../transport/socket-server.js';
import type { ClusterBus } from './cluster-bus.js';
import { ClusterLeader } from './cluster-leader.js';
import type { ClusterSettings } from './cluster-settings.js';
import type { ClusterTables } from './cluster-tables.js';
import { unitsToInt32, type GroupDetail, type GroupResult } from './group-sums.js';
import type { LeaderLease } from './leader-lease.js';
import { drawGroup, type RoundPlan } from './round-plan.js';

export interface ClusterMemberDeps {
  config: CoordinatorConfig;
  settings: ClusterSettings;
  /** This instance's id (fresh per process) and the URL its nodes reach it at. */
  instance: { id: string; url: string };
  store: PostgresStore;
  tables: ClusterTables;
  bus: ClusterBus;
  lease: LeaderLease;
  engine: RoundEngine;
  sockets: SocketServer;
  models: ModelStore;
  strategy: Strategy;
  /** The configured SecAgg, with the enrolled identities (active mode). */
  secagg: SecAggConfig;
  /** Selection without DP (the config seed may drive it). */
  random: RandomSource;
  /** The OS CSPRNG: the DP cohort. */
  privacyRandom: RandomSource;
  clock: Clock;
  logger: Logger;
  enrolled?: number;
  evaluationOff: string;
  onRound?: (summary: RoundSummary) => void;
}

export type MemberState = 'idle' | 'waiting-for-nodes' | 'running' | 'finished' | 'stopped';

export class ClusterMember {
  private lastSeen = -1;
  private groupRound = 0;
  private group: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private again = false;
  private timers: ReturnType<typeof setInterval>[] = [];
  private leader: { run: ClusterLeader; stop: AbortController; done: Promise<void> } | null = null;
  private finishedOutcome: TrainingOutcome | null = null;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => (this.resolveDone = r));
  private stopped = false;
  private waitingFor: { needed: number; available: number } | null = null;

  constructor(private readonly d: ClusterMemberDeps) {}

  get state(): MemberState {
    if (this.finishedOutcome !== null) return 'finished';
    if (this.stopped) return 'stopped';
    if (this.waitingFor !== null) return 'waiting-for-nodes';
    return this.lastSeen < 0 ? 'idle' : 'running';
  }

  /** How training ended (as the leader recorded it); null while it runs. */
  get outcome(): TrainingOutcome | null {
    return this.finishedOutcome;
  }

  /** Whether this instance leads the run now. */
  get leading(): boolean {
    return this.leader !== null;
  }

  /** While the leader waits for nodes: how many it needs and how many are ready across instances. */
  get waiting(): { needed: number; available: number } | null {
    return this.waitingFor;
  }

  /** Takes part in the run until it ends (or close()). */
  async run(): Promise<void> {
    const { bus, lease, settings, logger } = this.d;
    this.lastSeen = (await this.d.store.runState())?.lastRound ?? 0;
    bus.on('plan', () => this.sync());
    bus.on('committed', () => this.sync());
    bus.on('finished', () => this.sync());
    bus.on('group', () => this.leader?.run.wake());
    lease.on('elected', (epoch) => this.lead(epoch));
    lease.on('lost', () => this.stepDown());
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat(), settings.heartbeatMs));
    // The tables are the truth; messages only hurry this along.
    this.timers.push(setInterval(() => this.sync(), Math.max(100, settings.heartbeatMs)));
    lease.start();
    logger.info('cluster member started', { instance: this.d.instance.id, url: this.d.instance.url, store: this.d.store.description });
    this.sync();
    await this.done;
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.d.tables.heartbeat(this.d.instance.id, this.d.instance.url, this.d.sockets.available().length, this.d.sockets.nodeCount);
    } catch (err) {
      this.d.logger.warn('heartbeat failed', { error: (err as Error).message });
    }
  }

  private lead(epoch: number): void {
    this.stepDown();
    const stop = new AbortController();
    const run = new ClusterLeader(
      {
        config: this.d.config,
        settings: this.d.settings,
        instance: this.d.instance.id,
        store: this.d.store,
        tables: this.d.tables,
        bus: this.d.bus,
        engine: this.d.engine,
        models: this.d.models,
        strategy: this.d.strategy,
        clock: this.d.clock,
        logger: this.d.logger,
        localReady: () => this.d.sockets.available().length,
        ...(this.d.enrolled === undefined ? {} : { enrolled: this.d.enrolled }),
        evaluationOff: this.d.evaluationOff,
        onWaiting: (w) => (this.waitingFor = w),
      },
      epoch,
      stop.signal,
    );
    const done = run.lead().catch((err: Error) => this.d.logger.error('leading failed', { error: String(err?.stack ?? err) }));
    this.leader = { run, stop, done };
  }

  private stepDown(): void {
    if (this.leader === null) return;
    this.leader.stop.abort();
    this.leader = null;
    this.waitingFor = null;
  }

  /** Reads the tables once more (again at once when asked meanwhile). */
  private sync(): void {
    if (this.stopped) return;
    if (this.syncing !== null) {
      this.again = true;
      return;
    }
    this.syncing = this.syncOnce()
      .catch((err: Error) => this.d.logger.warn('cluster sync failed', { error: err.message }))
      .finally(() => {
        this.syncing = null;
        if (this.again) {
          this.again = false;
          this.sync();
        }
      });
  }

  private async syncOnce(): Promise<void> {
    const { store, tables, models, sockets, clock } = this.d;
    const state = await store.runState();
    if (state !== null && state.modelVersion !== null && models.current?.version !== state.modelVersion) {
      const w = await store.model(state.modelVersion);
      if (w !== null) {
        const first = models.current === null;
        models.put(w);
        if (first) sockets.refuseOtherLayouts(w.tensors);
      }
    }
    if (state !== null && state.lastRound > this.lastSeen) {
      for (let r = this.lastSeen + 1; r <= state.lastRound; r++) {
        const s = await store.round(r);
        if (s === null) continue;
        sockets.broadcastRoundEnd({ round: r, status: s.status, modelVersion: s.modelVersion, ...(s.abortReason === null ? {} : { reason: s.abortReason.slice(0, 2048) }) });
        this.d.onRound?.(s);
      }
      this.lastSeen = state.lastRound;
    }
    const outcome = (await tables.outcome()) as TrainingOutcome | null;
    if (outcome !== null && this.finishedOutcome === null) {
      this.finishedOutcome = outcome;
      const msg: TrainingFinished = { reason: outcome.reason, modelVersion: outcome.modelVersion, status: outcome.status === 'stopped' ? 'incomplete' : outcome.status, completedRounds: outcome.completedRounds, rounds: outcome.rounds };
      sockets.broadcastFinished(msg);
      this.resolveDone();
      return;
    }
    const plan = await tables.openPlan();
    if (plan !== null && plan.round > this.groupRound && this.group === null && clock.now() < plan.deadlineAt) {
      this.groupRound = plan.round;
      this.group = this.runGroup(plan).finally(() => {
        this.group = null;
        this.sync();
      });
    }
  }

  /** This instance's group for a plan: drawn, run, and its result written while the round is open. */
  private async runGroup(plan: RoundPlan): Promise<void> {
    const { engine, models, sockets, tables, bus, logger, clock, config, instance } = this.d;
    const started = clock.now();
    const empty: GroupDetail = { reason: null, droppedDetail: [], participants: [], stageMs: {}, degree: null, threshold: null, uploadBytesPerClient: null, durationMs: 0 };
    let result: GroupResult;
    try {
      let global = models.current;
      if (global?.version !== plan.modelVersion) {
        const w = await this.d.store.model(plan.modelVersion);
        if (w === null) throw new Error(`the plan's model ${plan.modelVersion.slice(0, 12)} is not stored`);
        models.put(w);
        global = models.current!;
      }
      const dp = plan.dp as DpRoundPlan | null;
      const draw = drawGroup(plan, instance.id, sockets.available(), dp !== null ? this.d.privacyRandom : this.d.random);
      const claimed = await tables.claim(plan.round, instance.id, draw.selected);
      if (claimed.size < draw.selected.length) {
        logger.info('nodes already in another instance\'s group of this round stay out', { round: plan.round, nodes: draw.selected.length - claimed.size });
        draw.selected = draw.selected.filter((n) => claimed.has(n));
        draw.target = Math.min(draw.target, draw.selected.length);
      }
      if (draw.selected.length < plan.minGroup) {
        result = { round: plan.round, instance: instance.id, status: 'skipped', selected: 0, survivors: 0, sum: null, detail: { ...empty, reason: `${draw.selected.length} nodes drawn < ${plan.minGroup}, the minimum group size`, durationMs: clock.now() - started } };
      } else {
        logger.info('group collecting', { round: plan.round, instance: instance.id, selected: draw.selected.length });
        const localNoise = config.dp?.localNoiseMultiplier ?? 1;
        const g = await engine.runGroup({
          round: plan.round,
          global,
          selected: draw.selected,
          target: draw.target,
          minResults: plan.minGroup,
          fitConfig: plan.fitConfig,
          secagg: { ...this.d.secagg, l2Clip: plan.l2Clip, ring: plan.ring, minSurvivors: plan.minGroup },
          ...(dp === null ? {} : { checkFitBegin: (_node: string, msg) => void checkDpAttestation(dp, msg, localNoise) }),
        });
        const s = g.summary;
        const detail: GroupDetail = {
          reason: g.ok ? null : g.reason,
          droppedDetail: s.droppedDetail,
          participants: g.ok ? participantsOf(s, g.contributors, 'contributed') : participantsOf(s, g.reported, 'round-aborted'),
          stageMs: s.secagg?.stageMs ?? {},
          degree: s.secagg?.degree ?? null,
          threshold: s.secagg?.threshold ?? null,
          uploadBytesPerClient: s.uploadBytesPerClient,
          durationMs: clock.now() - started,
        };
        result = g.ok
          ? { round: plan.round, instance: instance.id, status: 'ok', selected: s.selected, survivors: g.aggregate.count, sum: unitsToInt32(g.aggregate.grid!.sum), detail }
          : { round: plan.round, instance: instance.id, status: 'aborted', selected: s.selected, survivors: 0, sum: null, detail };
      }
    } catch (err) {
      if (this.stopped) return;
      logger.error('group failed', { round: plan.round, error: String((err as Error)?.stack ?? err) });
      result = { round: plan.round, instance: instance.id, status: 'aborted', selected: 0, survivors: 0, sum: null, detail: { ...empty, reason: `internal error: ${(err as Error)?.message ?? String(err)}`, durationMs: clock.now() - started } };
    }
    if (await tables.writeGroup(result)) {
      logger.info('group written', { round: plan.round, instance: instance.id, status: result.status, survivors: result.survivors, unmaskMs: result.detail.stageMs.unmaskMasks ?? null });
      bus.emit('group', plan.round, instance.id);
    } else {
      logger.warn('group too late: its round had closed, the sum is not stored', { round: plan.round, instance: instance.id });
    }
  }

  /** Stops taking part: no more groups or heartbeats, the lock let go, and the others told at once. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.stepDown();
    await this.d.lease.close();
    await this.d.tables.stopped(this.d.instance.id).catch(() => {});
    await this.syncing?.catch(() => {});
    this.resolveDone();
  }
}
