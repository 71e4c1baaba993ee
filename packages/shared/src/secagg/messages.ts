// Wire schemas of every secure-aggregation message, both directions (Bonawitz et al. 2017 §4 rounds
// 0-4; Bell et al. 2020 neighbourhoods). Each schema is the static type and a bounded validator.
import { Type, type Static } from '@sinclair/typebox';
import { CHUNK_ELEMENTS, MAX_MODEL_ELEMENTS } from '../protocol/limits.js';
import { BytesT, ExactBytesT, Uint32ArrayT } from '../protocol/typed-arrays.js';
import { MAX_DEGREE } from './graph.js';
import { SEAL_NONCE_BYTES, SEAL_OVERHEAD_BYTES } from './keys.js';
import { MAX_SHARES, SHARE_BYTES } from './shamir.js';

/** The most nodes in one secure-aggregation cohort (the survivor list must fit one frame). */
export const MAX_SECAGG_COHORT = 8_192;
/** Plaintext of one share message: version, two length-prefixed ids (64 characters, up to 4 UTF-8 bytes each), round, 16-bit x, two shares and their two 32-byte commitment nonces. */
export const SHARE_PLAINTEXT_MAX_BYTES = 1 + 2 * (2 + 64 * 4) + 4 + 2 + 2 * SHARE_BYTES + 2 * 32;
/** Largest sealed share message. */
export const SHARE_CIPHERTEXT_MAX_BYTES = SEAL_NONCE_BYTES + SEAL_OVERHEAD_BYTES + SHARE_PLAINTEXT_MAX_BYTES;

/** socket.io event names for the secure-aggregation sub-protocol (s2c: coordinator to node). */
export const SECAGG_EVENTS = {
  /** s2c SecAggSetup: round configuration and the node's neighbours; starts AdvertiseKeys. */
  setup: 'secagg:setup',
  /** c2s AdvertiseKeysMsg: the node's two public keys (signed in active mode). */
  advertiseKeys: 'secagg:advertise-keys',
  /** s2c ShareKeysRequest: neighbours' public keys. */
  shareKeysRequest: 'secagg:share-keys-request',
  /** c2s ShareKeysMsg: sealed shares, one per neighbour, for the coordinator to route. */
  shareKeys: 'secagg:share-keys',
  /** s2c MaskedInputRequest: the sealed shares addressed to this node. */
  maskedInputRequest: 'secagg:masked-input-request',
  /** c2s MaskedInputChunkMsg: one chunk of the masked vector (repeated). */
  maskedInputChunk: 'secagg:masked-input-chunk',
  /** s2c ConsistencyRequest (active mode): the survivor set to sign. */
  consistencyRequest: 'secagg:consistency-request',
  /** c2s ConsistencyMsg (active mode): the node's signature on the survivor set. */
  consistency: 'secagg:consistency',
  /** s2c UnmaskRequest: which neighbours survived and which dropped. */
  unmaskRequest: 'secagg:unmask-request',
  /** c2s UnmaskMsg: the shares the node agrees to reveal. */
  unmask: 'secagg:unmask',
  /** s2c SecAggAbort: the round is over without a sum. */
  abort: 'secagg:abort',
} as const;
export type SecAggEventName = (typeof SECAGG_EVENTS)[keyof typeof SECAGG_EVENTS];

const NodeId = Type.String({ minLength: 1, maxLength: 64 });
const Round = Type.Integer({ minimum: 0, maximum: 2 ** 31 });
// Keys and signatures have one valid length; BytesT bounds only the maximum.
const Key32 = ExactBytesT(32);
const Sig64 = ExactBytesT(64);

export const SecAggSetup = Type.Object({
  round: Round,
  nodeId: NodeId,
  /** This node's neighbours, sorted; a share's x coordinate is 1 + the holder's index here. */
  neighbours: Type.Array(NodeId, { maxItems: MAX_DEGREE }),
  threshold: Type.Integer({ minimum: 1, maximum: MAX_DEGREE }),
  bits: Type.Integer({ minimum: 1, maximum: 32 }),
  vectorLength: Type.Integer({ minimum: 1, maximum: MAX_MODEL_ELEMENTS }),
  chunkElements: Type.Integer({ minimum: 1, maximum: CHUNK_ELEMENTS }),
  activeMode: Type.Boolean(),
});
export type SecAggSetup = Static<typeof SecAggSetup>;

export const AdvertiseKeysMsg = Type.Object({
  round: Round,
  /** X25519 key for share encryption (c_u^PK). */
  cPk: Key32,
  /** X25519 key for pairwise masks (s_u^PK). */
  sPk: Key32,
  /** Ed25519 over advertiseTranscript(round, id, cPk, sPk); required in active mode. */
  signature: Type.Optional(Sig64),
});
export type AdvertiseKeysMsg = Static<typeof AdvertiseKeysMsg>;

export const NeighbourKeys = Type.Object({ nodeId: NodeId, cPk: Key32, sPk: Key32, signature: Type.Optional(Sig64) });
export type NeighbourKeys = Static<typeof NeighbourKeys>;

export const ShareKeysRequest = Type.Object({ round: Round, keys: Type.Array(NeighbourKeys, { maxItems: MAX_DEGREE }) });
export type ShareKeysRequest = Static<typeof ShareKeysRequest>;

const Sealed = BytesT(SHARE_CIPHERTEXT_MAX_BYTES);
export const ShareKeysMsg = Type.Object({
  round: Round,
  shares: Type.Array(
    Type.Object({
      to: NodeId,
      ciphertext: Sealed,
      /** share-commitment.ts: commitments to the b and s shares inside `ciphertext`, checked when revealed. */
      commitB: Key32,
      commitS: Key32,
    }),
    { maxItems: MAX_DEGREE },
  ),
  /** Commitment to the self-mask seed b_u, checked once it is rebuilt. */
  seedCommitment: Key32,
});
export type ShareKeysMsg = Static<typeof ShareKeysMsg>;

export const MaskedInputRequest = Type.Object({ round: Round, shares: Type.Array(Type.Object({ from: NodeId, ciphertext: Sealed }), { maxItems: MAX_DEGREE }) });
export type MaskedInputRequest = Static<typeof MaskedInputRequest>;

export const MaskedInputChunkMsg = Type.Object({
  round: Round,
  chunkIndex: Type.Integer({ minimum: 0, maximum: MAX_MODEL_ELEMENTS }),
  data: Uint32ArrayT(CHUNK_ELEMENTS),
});
export type MaskedInputChunkMsg = Static<typeof MaskedInputChunkMsg>;

const SurvivorList = Type.Array(NodeId, { maxItems: MAX_SECAGG_COHORT });
export const ConsistencyRequest = Type.Object({ round: Round, survivors: SurvivorList });
export type ConsistencyRequest = Static<typeof ConsistencyRequest>;

export const ConsistencyMsg = Type.Object({ round: Round, signature: Sig64 });
export type ConsistencyMsg = Static<typeof ConsistencyMsg>;

export const UnmaskRequest = Type.Object({
  round: Round,
  /** Every node whose masked input is in the sum (U3). */
  survivors: SurvivorList,
  /** This node's neighbours that shared keys but sent no complete masked input (U2 \ U3). */
  dropped: Type.Array(NodeId, { maxItems: MAX_DEGREE }),
  /** Active mode: neighbours' ConsistencyCheck signatures on `survivors`. */
  signatures: Type.Optional(Type.Array(Type.Object({ nodeId: NodeId, signature: Sig64 }), { maxItems: MAX_DEGREE })),
});
export type UnmaskRequest = Static<typeof UnmaskRequest>;

export const RevealedShare = Type.Object({
  /** The node whose secret this is a share of. */
  owner: NodeId,
  /** 'b': self-mask seed share (owner survived); 's': mask-key share (owner dropped). */
  kind: Type.Union([Type.Literal('b'), Type.Literal('s')]),
  x: Type.Integer({ minimum: 1, maximum: MAX_SHARES }),
  /** The share's encoded GF(65537) elements (shamir.ts). */
  y: ExactBytesT(SHARE_BYTES),
  /** The commitment nonce dealt with this share: with y it must hash to the owner's commitment. */
  nonce: Key32,
});
export type RevealedShare = Static<typeof RevealedShare>;

export const UnmaskMsg = Type.Object({
  round: Round,
  shares: Type.Array(RevealedShare, { maxItems: MAX_DEGREE }),
  /** Neighbours whose sealed share this node could not open or that was addressed otherwise. */
  complaints: Type.Optional(Type.Array(NodeId, { maxItems: MAX_DEGREE })),
});
export type UnmaskMsg = Static<typeof UnmaskMsg>;

export const SecAggAbort = Type.Object({ round: Round, reason: Type.String({ maxLength: 512 }) });
export type SecAggAbort = Static<typeof SecAggAbort>;

/** Schema of each event's payload. */
export const SECAGG_SCHEMAS = {
  [SECAGG_EVENTS.setup]: SecAggSetup,
  [SECAGG_EVENTS.advertiseKeys]: AdvertiseKeysMsg,
  [SECAGG_EVENTS.shareKeysRequest]: ShareKeysRequest,
  [SECAGG_EVENTS.shareKeys]: ShareKeysMsg,
  [SECAGG_EVENTS.maskedInputRequest]: MaskedInputRequest,
  [SECAGG_EVENTS.maskedInputChunk]: MaskedInputChunkMsg,
  [SECAGG_EVENTS.consistencyRequest]: ConsistencyRequest,
  [SECAGG_EVENTS.consistency]: ConsistencyMsg,
  [SECAGG_EVENTS.unmaskRequest]: UnmaskRequest,
  [SECAGG_EVENTS.unmask]: UnmaskMsg,
  [SECAGG_EVENTS.abort]: SecAggAbort,
} as const;
