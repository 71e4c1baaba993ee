// The leader of a run of several instances (Bonawitz et al. 2019, §4, the master aggregator): it
// owns the round schedule, the server optimiser and the privacy ledger. Elected, it reloads them
// from the store; then per round it writes the plan, waits for every live instance's group (or its
// death, or the deadline), adds the group sums, steps the strategy and commits, in one fenced
// transaction. It never holds one node's update: only sums over at least minGroup nodes. A round
// with any group sum written is a release: it completes and is charged exactly once, whichever
// leader commits it (the plan and the sums are in the store; only one commit per round can land).
import { FedtuneError, type Weights } from '@fedtune/shared';
import type { CoordinatorConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ModelStore } from '../model/model-store.js';
import type { Clock } from '../round/clock.js';
import { trainingOutcome, type TrainingOutcome } from '../round/round-outcome.js';
import type { RoundEngine } from '../round/round-engine.js';
import type { RoundSummary } from '../round/round-summary.js';
import { dpPopulation } from '../round/selection.js';
import { stepStrategy } from '../round/strategy-step.js';
import { roundRing } from '../secagg/secure-aggregation.js';
import type { PostgresStore } from '../store/postgres-store.js';
import { restoreRun } from '../store/resume.js';
import type { RoundCommit } from '../store/store.js';
import type { Strategy } from '../strategy/strategy.js';
import type { ClusterBus } from './cluster-bus.js';
import type { ClusterSettings } from './cluster-settings.js';
import type { ClusterTables, InstanceRow } from './cluster-tables.js';
import { combineGroups, participantsOfGroups, summariseGroups } from './group-sums.js';
import { roundDeadline, splitQuota, type GroupSelection, type RoundPlan } from './round-plan.js';

/** Why a round of several instances does not run federated evaluation without DP. */
export const EVALUATION_OFF_ACROSS_INSTANCES = 'federated evaluation does not run across several instances';

export interface ClusterLeaderDeps {
  config: CoordinatorConfig;
  settings: ClusterSettings;
  instance: string;
  store: PostgresStore;
  tables: ClusterTables;
  bus: ClusterBus;
  engine: RoundEngine;
  models: ModelStore;
  strategy: Strategy;
  clock: Clock;
  logger: Logger;
  /** Ready nodes connected to this instance (the initial model comes from one of them). */
  localReady: () => number;
  /** Enrolled identities, part of the DP population N. */
  enrolled?: number;
  /** Why federated evaluation is off (DP's reason, or the one above). */
  evaluationOff: string;
  /** Set while this instance waits for nodes: how many the run needs and how many are ready across instances. */
  onWaiting: (w: { needed: number; available: number } | null) => void;
}

/** Resolves after `ms`, or at once when `signal` aborts or `wake` is called. */
function pause(ms: number, signal: AbortSignal, wakers: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      wakers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wakers.add(done);
  });
}

export class ClusterLeader {
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly d: ClusterLeaderDeps,
    private readonly epoch: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Something changed in the tables (a group reported, an instance came): look again now. */
  wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Leads until the run ends, the signal aborts (leadership lost, a stop), or a fence refuses a write. */
  async lead(): Promise<void> {
    const { logger } = this.d;
    let failures = 0;
    await restoreRun(this.d.store, this.d.models, this.d.strategy);
    while (!this.signal.aborted) {
      try {
        if ((await this.d.tables.outcome()) !== null) return;
        const state = await this.d.store.runState();
        const open = await this.d.tables.openPlan();
        if (open !== null) {
          await this.finishRound(open);
        } else if ((state?.lastRound ?? 0) >= this.d.config.rounds) {
          await this.finish(undefined);
          return;
        } else if (await this.waitForNodes()) {
          if (state === null || state.modelVersion === null) await this.initialise();
          else {
            const plan = await this.plan((state.lastRound ?? 0) + 1, state.modelVersion);
            if ('stop' in plan) {
              logger.warn('training stops', { round: (state.lastRound ?? 0) + 1, reason: plan.stop });
              await this.finish(plan.stop);
              return;
            }
            await this.d.tables.writePlan(plan);
            logger.info('round planned', { round: plan.round, epoch: this.epoch, instances: plan.instances.length, minGroup: plan.minGroup, maxGroup: plan.maxGroup });
            this.d.bus.emit('plan', plan.round);
            await this.finishRound(plan);
          }
        }
        failures = 0;
      } catch (err) {
        if (this.signal.aborted) return;
        if (err instanceof FedtuneError && err.code === 'FT_ERR_NOT_LEADER') {
          logger.warn('no longer the leader', { error: err.message });
          return;
        }
        failures++;
        logger.error('leader step failed', { error: String((err as Error)?.stack ?? err), inARow: failures });
        await pause(Math.min(30_000, this.d.settings.leaderRetryMs * 2 ** Math.min(failures, 5)), this.signal, this.wakers);
      }
    }
  }

  /** Waits until enough nodes are ready across live instances, and one instance can field a full group. */
  private async waitForNodes(): Promise<boolean> {
    const { config, settings, tables } = this.d;
    while (!this.signal.aborted) {
      const live = await tables.liveInstances(settings.instanceTimeoutMs);
      const available = live.reduce((s, i) => s + i.ready, 0);
      const largest = Math.max(0, ...live.map((i) => i.ready));
      if (available >= config.minNodes && largest >= Math.min(settings.minGroupSize, config.minNodes)) {
        this.d.onWaiting(null);
        return true;
      }
      this.d.onWaiting({ needed: Math.max(config.minNodes, settings.minGroupSize), available });
      await pause(settings.heartbeatMs, this.signal, this.wakers);
    }
    return false;
  }

  /** The initial model from a node of this instance (the checkpoint, when configured, was committed at start). */
  private async initialise(): Promise<void> {
    if (this.d.localReady() === 0) {
      this.d.logger.info('waiting for a node on the leader\'s instance to send the initial model');
      await pause(this.d.settings.heartbeatMs, this.signal, this.wakers);
      return;
    }
    await this.d.engine.initialiseModel();
    if (this.d.models.current !== null) this.d.bus.emit('committed', 0);
  }

  private async global(version: string): Promise<Weights> {
    if (this.d.models.current?.version === version) return this.d.models.current.weights;
    const w = await this.d.store.model(version);
    if (w === null) throw new FedtuneError('FT_ERR_STORE', `the model ${version.slice(0, 12)} a plan names is missing`);
    this.d.models.put(w);
    return w;
  }

  /** The next round's plan, or why training stops (the privacy budget). */
  private async plan(round: number, version: string): Promise<RoundPlan | { stop: string }> {
    const { config, settings, tables, strategy, clock } = this.d;
    const sa = config.secagg!;
    const global = await this.global(version);
    const live: InstanceRow[] = await tables.liveInstances(settings.instanceTimeoutMs);
    const known = (await this.d.store.nodes(0, 0)).total;
    const population = dpPopulation(config.population, this.d.enrolled, known);
    const dpOn = config.dp !== undefined && config.dp.mode !== 'off';
    const sel = config.selection;
    let selection: GroupSelection;
    let q: number;
    if (dpOn || sel.kind === 'poisson') {
      // Under DP, a Poisson sample at the rate the ledger charges, as on one instance (selectUnderDp).
      q = sel.kind === 'poisson' ? sel.sampleRate : Math.min(1, sel.clientsPerRound / population);
      selection = { kind: 'poisson', q };
    } else {
      q = Math.min(1, sel.clientsPerRound / Math.max(1, population));
      selection = { kind: 'quota', quotas: splitQuota(sel.clientsPerRound, live), overSelection: sel.overSelection };
    }
    // The ring holds the largest group an instance can field now (its ready nodes), never fewer than a minimum group.
    const largest = Math.max(1, ...live.map((i) => i.ready));
    const req = strategy.prepareRound?.({ round, selected: Math.max(largest, settings.minGroupSize), samplingRate: q, dimension: global.data.length, secagg: true, bits: sa.bits, population }) ?? {};
    if (req.stop !== undefined) return { stop: req.stop };
    const minGroup = Math.max(settings.minGroupSize, req.minSurvivors ?? 0);
    const maxGroup = Math.max(largest, minGroup);
    const l2Clip = req.clip ?? sa.l2Clip;
    const ring = req.ring ?? roundRing({ ...sa, identityKeys: undefined, l2Clip }, maxGroup);
    const plannedAt = clock.now();
    return {
      round,
      epoch: this.epoch,
      modelVersion: version,
      fitConfig: strategy.configureFit(round, config.trainConfig),
      ring,
      l2Clip,
      minGroup,
      maxGroup: Math.min(maxGroup, ring.maxSummands),
      selection,
      dp: strategy.roundPlan?.() ?? null,
      instances: live.map((i) => i.id),
      plannedAt,
      deadlineAt: roundDeadline(plannedAt, config.fitDeadlineMs ?? 10 * 60_000, sa.stageDeadlineMs, sa.activeMode),
      population,
    };
  }

  /** Waits for the plan's groups, then adds them, steps and commits (or records the round aborted). */
  private async finishRound(plan: RoundPlan): Promise<void> {
    const { tables, settings, clock, logger, strategy, models } = this.d;
    while (!this.signal.aborted) {
      const reported = new Set(await tables.reported(plan.round));
      // This instance is alive whatever its heartbeat says (a busy event loop delays it).
      const live = new Set([this.d.instance, ...(await tables.liveInstances(settings.instanceTimeoutMs)).map((i) => i.id)]);
      const waiting = plan.instances.filter((i) => !reported.has(i) && live.has(i));
      if (waiting.length === 0 || clock.now() >= plan.deadlineAt) break;
      await pause(Math.min(250, Math.max(1, plan.deadlineAt - clock.now())), this.signal, this.wakers);
    }
    if (this.signal.aborted) return;
    const global = await this.global(plan.modelVersion);
    const groups = await tables.groups(plan.round, global.data.length);
    const summary = summariseGroups(plan.round, groups, plan.ring, clock.now() - plan.plannedAt, this.d.evaluationOff);
    const participants = participantsOfGroups(groups);
    const ok = groups.filter((g) => g.status === 'ok');
    let commit: Omit<RoundCommit, 'at'>;
    let undo = () => {};
    if (plan.dp !== null) strategy.adoptRoundPlan?.(plan.dp);
    if (ok.length === 0) {
      commit = { round: plan.round, summary: this.closeSummary(summary, plan.modelVersion), model: null, ledger: [], participants };
    } else {
      const ledgerBefore = strategy.ledger?.().length ?? 0;
      const step = stepStrategy(strategy, plan.round, global.data, combineGroups(ok, plan.ring, global.data.length));
      if (!step.ok) {
        // The group sums were written: the round released them, so it is charged all the same.
        strategy.chargeRoundPlan?.();
        const aborted = this.closeSummary({ ...summary, status: 'aborted', abortReason: step.reason }, plan.modelVersion);
        commit = { round: plan.round, summary: aborted, model: null, strategyState: strategy.saveState?.() ?? null, ledger: strategy.ledger?.().slice(ledgerBefore) ?? [], participants };
      } else {
        const weights: Weights = { tensors: global.tensors, data: step.next };
        const version = models.put(weights);
        undo = () => {
          step.rollback();
          models.setCurrent(plan.modelVersion);
        };
        commit = { round: plan.round, summary: this.closeSummary(summary, version), model: { version, weights }, strategyState: strategy.saveState?.() ?? null, ledger: step.ledger, participants };
      }
    }
    try {
      await tables.commitPlanned(this.epoch, { ...commit, at: clock.now() });
    } catch (err) {
      undo();
      throw err;
    }
    const s = commit.summary!;
    logger.info(s.status === 'completed' ? 'round completed' : 'round aborted', { round: plan.round, groups: groups.length, survivors: s.survivors, epsilon: s.epsilon, reason: s.abortReason });
    this.d.bus.emit('committed', plan.round);
  }

  private closeSummary(summary: RoundSummary, version: string): RoundSummary {
    const spent = this.d.strategy.privacySpent?.() ?? null;
    return { ...summary, epsilon: spent?.epsilon ?? null, delta: spent?.delta ?? null, modelVersion: version };
  }

  /** Records how the run ended, so every instance tells its nodes. */
  private async finish(stopReason: string | undefined): Promise<void> {
    const state = await this.d.store.runState();
    const outcome: TrainingOutcome = trainingOutcome({
      stopped: false,
      failed: false,
      stopReason,
      lastRound: state?.lastRound ?? 0,
      completedRounds: state?.completedRounds ?? 0,
      rounds: this.d.config.rounds,
      modelVersion: state?.modelVersion ?? null,
    });
    await this.d.tables.setOutcome(this.epoch, outcome);
    this.d.logger.info('training finished', { reason: outcome.reason, status: outcome.status });
    this.d.bus.emit('finished');
  }
}
