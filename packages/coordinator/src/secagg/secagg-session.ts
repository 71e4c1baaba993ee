// The coordinator's half of one SecAgg+ round over the socket transport (Bonawitz et al. 2017 §4;
// Bell et al. 2020): sends each stage's requests, collects replies through the pure server-*.ts
// functions until every expected node answered, vanished, or the stage deadline passed, and
// records where each dropout happened. Masked inputs are summed as they stream in.
import {
  FedtuneError,
  createSecAggServer,
  serverFinishAdvertise,
  serverFinishConsistency,
  serverFinishMaskedInput,
  serverFinishShareKeys,
  serverFinishUnmask,
  serverReceiveAdvertise,
  serverReceiveConsistency,
  serverReceiveMaskedChunk,
  serverReceiveShareKeys,
  serverReceiveUnmask,
  type AdvertiseKeysMsg,
  type ConsistencyMsg,
  type CryptoProvider,
  type MaskedInputChunkMsg,
  type RandomSource,
  type SecAggServerState,
  type SecAggStage,
  type ShareKeysMsg,
  type StageOutcome,
  type UnmaskMsg,
  type UnmaskPlan,
} from '@fedtune/shared';
import type { Clock } from '../round/clock.js';
import { awaitStage } from '../round/stage-deadline.js';
import type { SecAggServerEvent } from '../round/transport.js';
import type { Logger } from '../logger.js';

/** The s2c SecAgg events and their payloads, as the transport sends them. */
export interface SecAggSender {
  send(node: string, event: SecAggServerEvent, message: unknown): void;
}

export interface SecAggRoundSettings {
  round: number;
  cohort: readonly string[];
  vectorLength: number;
  bits: number;
  /** Harary degree and Shamir threshold (graph.ts chooseGraphParams). */
  k: number;
  threshold: number;
  activeMode: boolean;
  /** Opt-in: the threshold may be t <= k/2 (the nodes trust this coordinator's dropout reports). */
  trustDropoutReports?: boolean;
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  stageDeadlineMs: number;
  chunkElements: number;
  /** Abort before Unmask when fewer masked inputs arrived (their noise would be too small). */
  minSurvivors: number;
}

export interface SecAggDrop {
  node: string;
  stage: SecAggStage;
  reason: 'silent' | 'disconnected' | 'rejected';
}

export type SecAggResult = {
  /** Milliseconds spent in each stage. */
  stageMs: Partial<Record<SecAggStage, number>>;
  drops: SecAggDrop[];
  /** Bytes each node sent in SecAgg frames. */
  bytes: Map<string, number>;
} & ({ ok: true; plan: UnmaskPlan; sum: Uint32Array; survivors: readonly string[] } | { ok: false; stage: SecAggStage; reason: string; blame: string[] });

interface Waiting {
  stage: SecAggStage;
  expected: Set<string>;
  done: Set<string>;
  wake: () => void;
}

export interface SecAggSessionDeps {
  sender: SecAggSender;
  crypto: CryptoProvider;
  random: RandomSource;
  clock: Clock;
  logger: Logger;
}

export class SecAggSession {
  private state: SecAggServerState | null = null;
  private waiting: Waiting | null = null;
  private readonly drops: SecAggDrop[] = [];
  /** The nodes in `drops`, for constant-time checks on every message. */
  private readonly dropped = new Set<string>();
  private readonly lost = new Set<string>();
  private readonly bytes = new Map<string, number>();

  constructor(
    private readonly deps: SecAggSessionDeps,
    private readonly settings: SecAggRoundSettings,
  ) {}

  get round(): number {
    return this.settings.round;
  }

  /** A c2s SecAgg message, already decoded against its schema. A refusal drops the node and is rethrown. */
  onMessage(node: string, event: string, message: unknown, frameBytes: number): void {
    const s = this.state;
    const w = this.waiting;
    if (s === null || w === null) throw new FedtuneError('FT_ERR_STAGE', 'no secure aggregation stage is open');
    if (!w.expected.has(node) || w.done.has(node)) throw new FedtuneError('FT_ERR_STAGE', `${event} is not expected from this node now`);
    this.bytes.set(node, (this.bytes.get(node) ?? 0) + frameBytes);
    try {
      let complete = true;
      switch (event) {
        case 'secagg:advertise-keys':
          serverReceiveAdvertise(s, node, message as AdvertiseKeysMsg, this.deps.crypto);
          break;
        case 'secagg:share-keys':
          serverReceiveShareKeys(s, node, message as ShareKeysMsg);
          break;
        case 'secagg:masked-input-chunk':
          complete = serverReceiveMaskedChunk(s, node, message as MaskedInputChunkMsg).complete;
          break;
        case 'secagg:consistency':
          serverReceiveConsistency(s, node, message as ConsistencyMsg);
          break;
        case 'secagg:unmask':
          serverReceiveUnmask(s, node, message as UnmaskMsg, this.deps.crypto);
          break;
        default:
          throw new FedtuneError('FT_ERR_MALFORMED', `unknown secagg event ${event}`);
      }
      if (complete) {
        w.done.add(node);
        w.wake();
      }
    } catch (err) {
      // A refused message counts as this node going silent from here on; the stage need not wait for it.
      this.drop(node, w.stage, 'rejected');
      w.wake();
      throw err;
    }
  }

  onNodeLost(node: string): void {
    this.lost.add(node);
    const w = this.waiting;
    if (w !== null && w.expected.has(node) && !w.done.has(node)) {
      this.drop(node, w.stage, 'disconnected');
      w.wake();
    }
  }

  /** Runs every stage; resolves with the masked sum (masks not yet removed) and the unmask plan, or the abort. */
  async run(): Promise<SecAggResult> {
    const { sender, random } = this.deps;
    const st = this.settings;
    const stageMs: Partial<Record<SecAggStage, number>> = {};
    const created = createSecAggServer({
      round: st.round,
      cohort: st.cohort,
      k: st.k,
      threshold: st.threshold,
      bits: st.bits,
      vectorLength: st.vectorLength,
      chunkElements: st.chunkElements,
      activeMode: st.activeMode,
      trustDropoutReports: st.trustDropoutReports === true,
      ...(st.identityKeys === undefined ? {} : { identityKeys: st.identityKeys }),
      rng: random,
    });
    this.state = created.state;
    const s = created.state;
    const fail = (stage: SecAggStage, reason: string): SecAggResult => {
      for (const n of st.cohort) if (!this.lost.has(n)) sender.send(n, 'secagg:abort', { round: st.round, reason });
      this.deps.logger.warn('secure aggregation aborted', { round: st.round, stage, reason });
      return { ok: false, stage, reason, blame: [...s.blamed], stageMs, drops: this.drops, bytes: this.bytes };
    };

    // Each stage: send the requests, wait for the replies, close it with the pure finish function.
    type Finish = () => StageOutcome<unknown>;
    const stages: [SecAggStage, Finish][] = [
      ['AdvertiseKeys', () => serverFinishAdvertise(s).outcome],
      ['ShareKeys', () => serverFinishShareKeys(s).outcome],
      ['MaskedInput', () => serverFinishMaskedInput(s).outcome],
      ...(st.activeMode ? ([['ConsistencyCheck', () => serverFinishConsistency(s).outcome]] as [SecAggStage, Finish][]) : []),
    ];
    const requestEvent: Record<SecAggStage, Parameters<SecAggSender['send']>[1]> = {
      AdvertiseKeys: 'secagg:setup',
      ShareKeys: 'secagg:share-keys-request',
      MaskedInput: 'secagg:masked-input-request',
      ConsistencyCheck: 'secagg:consistency-request',
      Unmask: 'secagg:unmask-request',
    };
    let requests: Map<string, unknown> = created.setups;
    for (const [stage, finish] of stages) {
      const started = this.deps.clock.now();
      await this.collectStage(stage, requests, requestEvent[stage]);
      const outcome = finish();
      stageMs[stage] = this.deps.clock.now() - started;
      if (!outcome.ok) return fail(stage, outcome.abort.reason);
      if (stage === 'MaskedInput' && (s.u3?.size ?? 0) < st.minSurvivors) {
        return fail(stage, `${s.u3?.size ?? 0} masked inputs < ${st.minSurvivors}, the fewest the noise was sized for`);
      }
      requests = outcome.messages;
    }
    const started = this.deps.clock.now();
    await this.collectStage('Unmask', requests, requestEvent.Unmask);
    const fin = serverFinishUnmask(s, this.deps.crypto).outcome;
    stageMs.Unmask = this.deps.clock.now() - started;
    if (!fin.ok) return fail('Unmask', fin.abort.reason);
    return { ok: true, plan: fin.plan, sum: s.sum, survivors: fin.plan.survivors, stageMs, drops: this.drops, bytes: this.bytes };
  }

  private drop(node: string, stage: SecAggStage, reason: SecAggDrop['reason']): void {
    if (this.dropped.has(node)) return;
    this.dropped.add(node);
    this.drops.push({ node, stage, reason });
  }

  /** Sends `requests` and waits until each addressee answered or is gone, or the deadline. */
  private collectStage(stage: SecAggStage, requests: Map<string, unknown>, event: Parameters<SecAggSender['send']>[1]): Promise<void> {
    const { clock, sender } = this.deps;
    const expected = new Set([...requests.keys()].filter((n) => !this.lost.has(n)));
    for (const n of requests.keys()) if (this.lost.has(n)) this.drop(n, stage, 'disconnected');
    const w: Waiting = { stage, expected, done: new Set(), wake: () => {} };
    this.waiting = w;
    const wait = awaitStage(
      clock,
      this.settings.stageDeadlineMs,
      () => [...expected].every((n) => w.done.has(n) || this.lost.has(n) || this.dropped.has(n)),
      (timedOut) => {
        if (timedOut) for (const n of expected) if (!w.done.has(n)) this.drop(n, stage, 'silent');
        // Anything arriving after this is refused as out of stage.
        this.waiting = null;
      },
    );
    w.wake = wait.wake;
    for (const [n, msg] of requests) if (expected.has(n)) sender.send(n, event, msg);
    w.wake();
    return wait.closed;
  }
}
