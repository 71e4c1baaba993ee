// A SecAgg node under an adversary's control, for attack tests: it speaks the real protocol (the
// SDK's SecAggParticipant over a raw socket) but every message it sends passes through `tamper`,
// which may rewrite it (flip a bit, add to the masked vector, advertise a zero key) before it leaves.
import { SecAggParticipant } from '@fedtune/client';
import { clipL2, decodeMessage, encodeToRing, nodeCryptoProvider, seededRandom, type ClientToServerEvents, type EventName, type MessageOf, type RandomSource } from '@fedtune/shared';
import { RawNode } from './raw-node.js';

type SecAggUpload = Extract<keyof ClientToServerEvents, `secagg:${string}`>;
export type Tamper = <E extends SecAggUpload>(event: E, message: MessageOf<E>) => MessageOf<E>;

export class HostileSecAggNode {
  readonly raw: RawNode;
  readonly errors: string[] = [];
  /** The node id the coordinator gave it, once joined. */
  id = '';

  constructor(
    url: string,
    private readonly delta: Float32Array,
    tamper: Tamper,
    seed = 'hostile',
  ) {
    this.raw = new RawNode(url);
    const random = seededRandom(nodeCryptoProvider, seed);
    const participant = new SecAggParticipant({
      crypto: nodeCryptoProvider,
      random,
      send: async (event, message) => {
        const reply = (await this.raw.request(event, tamper(event, message))) as { ok: boolean; error?: { code: string } };
        if (!reply.ok) this.errors.push(reply.error!.code);
      },
      onError: (err) => this.errors.push(err.code),
    });
    const on = (event: string, handle: (frame: unknown) => void) => (this.raw.socket as unknown as { on(e: string, l: (f: unknown) => void): void }).on(event, handle);
    void this.fitLoop(participant, random);
    on('secagg:setup', (f) => participant.onSetup(decode('secagg:setup', f)));
    on('secagg:share-keys-request', (f) => participant.onShareKeysRequest(decode('secagg:share-keys-request', f)));
    on('secagg:masked-input-request', (f) => participant.onMaskedInputRequest(decode('secagg:masked-input-request', f)));
    on('secagg:consistency-request', (f) => participant.onConsistencyRequest(decode('secagg:consistency-request', f)));
    on('secagg:unmask-request', (f) => participant.onUnmaskRequest(decode('secagg:unmask-request', f)));
  }

  async join(token: string): Promise<void> {
    const reply = await this.raw.hello(token);
    if (!reply.ok) throw new Error(`hello refused: ${reply.error.code}`);
    this.id = reply.nodeId;
  }

  /** Each fit instruction: clip and encode this node's fixed delta, announce it, then follow the stages. */
  private async fitLoop(participant: SecAggParticipant, random: RandomSource): Promise<void> {
    for (;;) {
      const fit = await this.raw.next('round:fit');
      if (fit.secagg === undefined) continue;
      const { clipped } = clipL2(this.delta, fit.secagg.l2Clip);
      participant.prepare(fit.round, encodeToRing(clipped, fit.secagg, random));
      await this.raw.request('fit:begin', { round: fit.round, numExamples: 1, metrics: {} });
    }
  }
}

function decode<E extends EventName>(event: E, frame: unknown): MessageOf<E> {
  return decodeMessage(event, frame);
}
