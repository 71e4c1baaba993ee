// The node's half of a SecAgg+ round over the socket (Bonawitz et al. 2017 §4; Bell et al. 2020):
// holds the ring-encoded update from training, answers each stage request through the pure
// client-*.ts functions, and streams the masked vector chunk by chunk. The pure functions refuse a
// stage out of order and any unmask request that would reveal both shares of one node.
import {
  FedtuneError,
  clientAbort,
  clientAdvertiseKeys,
  clientConsistency,
  clientMaskChunk,
  clientMaskedInput,
  clientShareKeys,
  clientUnmask,
  createSecAggClient,
  type ClientToServerEvents,
  type ConsistencyRequest,
  type CryptoProvider,
  type Ed25519KeyPair,
  type MaskedInputRequest,
  type MessageOf,
  type RandomSource,
  type SecAggClientState,
  type SecAggSetup,
  type SecAggStage,
  type ShareKeysRequest,
  type UnmaskRequest,
} from '@fedtune/shared';

type SecAggUpload = Extract<keyof ClientToServerEvents, `secagg:${string}`>;

export interface SecAggParticipantDeps {
  crypto: CryptoProvider;
  random: RandomSource;
  /** Enrolled Ed25519 identity (active mode). */
  identity?: Ed25519KeyPair;
  /** Enrolled identity public keys of the other nodes, by node id, from enrollment. */
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  /** Opt-in: trust the coordinator's dropout reports (accept thresholds t <= k/2). Default: refuse them. */
  trustDropoutReports?: boolean;
  /** Sends an acknowledged SecAgg message; rejects with the coordinator's coded error. */
  send: <E extends SecAggUpload>(event: E, message: MessageOf<E>) => Promise<void>;
  /** Simulation: vanish when this stage's request arrives. */
  shouldDrop?: (round: number, stage: SecAggStage) => boolean;
  onDrop?: (round: number, stage: SecAggStage) => void;
  onError: (err: FedtuneError) => void;
}

export class SecAggParticipant {
  private round = -1;
  private encoded: Uint32Array | null = null;
  private state: SecAggClientState | null = null;
  private chain: Promise<void> = Promise.resolve();
  /**
   * Bumped by every prepare and forget: a stage step that fails after its session was superseded
   * (a coordinator restarted and re-runs the same round number) must not wipe the new one.
   */
  private generation = 0;

  constructor(private readonly deps: SecAggParticipantDeps) {}

  /** Training finished: keep the encoded (clipped, possibly noised) update for this round. */
  prepare(round: number, encoded: Uint32Array): void {
    this.forget();
    this.round = round;
    this.encoded = encoded;
  }

  /** Drops every secret of the current round (also when the connection is lost: that session is over). */
  forget(): void {
    this.generation++;
    if (this.state !== null) this.state = clientAbort(this.state);
    this.state = null;
    this.encoded = null;
  }

  onSetup(setup: SecAggSetup): void {
    this.step('AdvertiseKeys', setup.round, async () => {
      const { identity, identityKeys } = this.deps;
      const fresh = createSecAggClient({
        nodeId: setup.nodeId,
        trustDropoutReports: this.deps.trustDropoutReports === true,
        ...(identity === undefined ? {} : { identity }),
        ...(identityKeys === undefined ? {} : { identityKeys }),
      });
      const r = clientAdvertiseKeys(fresh, setup, this.env());
      this.state = r.state;
      await this.deps.send('secagg:advertise-keys', r.message);
    });
  }

  onShareKeysRequest(req: ShareKeysRequest): void {
    this.step('ShareKeys', req.round, async () => {
      const r = clientShareKeys(this.requireState(), req, this.env());
      this.state = r.state;
      await this.deps.send('secagg:share-keys', r.message);
    });
  }

  onMaskedInputRequest(req: MaskedInputRequest): void {
    this.step('MaskedInput', req.round, async () => {
      const encoded = this.encoded;
      if (encoded === null || this.round !== req.round) throw new FedtuneError('FT_ERR_STAGE', `no encoded update for round ${req.round}`);
      const st = clientMaskedInput(this.requireState(), req, this.env()).state;
      this.state = st;
      const setup = st.setup!;
      if (setup.vectorLength !== encoded.length) throw new FedtuneError('FT_ERR_SHAPE', `update has ${encoded.length} elements, round expects ${setup.vectorLength}`);
      const chunks = Math.ceil(setup.vectorLength / setup.chunkElements);
      for (let i = 0; i < chunks; i++) {
        const start = i * setup.chunkElements;
        // Each chunk waits for its ack: backpressure, and the coordinator sums as it receives.
        await this.deps.send('secagg:masked-input-chunk', clientMaskChunk(st, i, encoded.subarray(start, Math.min(encoded.length, start + setup.chunkElements)), this.env()));
      }
    });
  }

  onConsistencyRequest(req: ConsistencyRequest): void {
    this.step('ConsistencyCheck', req.round, async () => {
      const r = clientConsistency(this.requireState(), req, this.env());
      this.state = r.state;
      await this.deps.send('secagg:consistency', r.message);
    });
  }

  onUnmaskRequest(req: UnmaskRequest): void {
    this.step('Unmask', req.round, async () => {
      const r = clientUnmask(this.requireState(), req, this.env());
      this.state = r.state;
      await this.deps.send('secagg:unmask', r.message);
      this.forget();
    });
  }

  onAbort(round: number): void {
    // Checked again when the chain gets there: the next round's update may have been prepared meanwhile.
    this.chain = this.chain.then(() => {
      if (round === this.round) this.forget();
    });
  }

  private env() {
    return { crypto: this.deps.crypto, rng: this.deps.random };
  }

  private requireState(): SecAggClientState {
    if (this.state === null) throw new FedtuneError('FT_ERR_STAGE', 'no secure aggregation round in progress');
    return this.state;
  }

  /** Stage requests are handled one at a time, in arrival order; a refusal ends this round for the node. */
  private step(stage: SecAggStage, round: number, run: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.deps.shouldDrop?.(round, stage) === true) {
        this.forget();
        this.deps.onDrop?.(round, stage);
        return;
      }
      const generation = this.generation;
      try {
        await run();
      } catch (err) {
        // Only the session this step belonged to ends; a newer one (prepared meanwhile) stays.
        if (generation === this.generation) this.forget();
        this.deps.onError(err instanceof FedtuneError ? err : new FedtuneError('FT_ERR_INTERNAL', String(err)));
      }
    });
  }
}
