// Message schemas: each is both the static type (Static<typeof X>) and the runtime validator.
import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';
import { CHUNK_ELEMENTS, MAX_CONFIG_KEYS, MAX_KEY_LENGTH, MAX_METRICS, MAX_MODEL_ELEMENTS, MAX_RANK, MAX_STRING, MAX_TENSORS } from './limits.js';
import { ExactBytesT, Float32ArrayT } from './typed-arrays.js';

const Str = (maxLength = MAX_STRING) => Type.String({ maxLength });
const Round = Type.Integer({ minimum: 0, maximum: 2 ** 31 });
const Count = Type.Integer({ minimum: 0, maximum: 2 ** 40 });
const ChunkIndex = Type.Integer({ minimum: 0, maximum: Math.ceil(MAX_MODEL_ELEMENTS / 1) });
/** A node id: 32 lowercase hex digits (128 random bits), or an enrolled identity's id. */
export const NodeIdT = Type.String({ pattern: '^[0-9a-f]{32}$' });
/** A 256-bit secret as 64 lowercase hex digits. */
const HexSecret = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** A model version: the hex SHA-256 of its canonical encoding. */
export const ModelVersion = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const WireErrorSchema = Type.Object({
  code: Type.Unsafe<ErrorCode>(Type.Union(Object.keys(ERROR_CATALOGUE).map((c) => Type.Literal(c)))),
  message: Str(2048),
});

/**
 * A metric or config key: short and plain. TypeBox turns a Record's key schema into a pattern and
 * ignores maxLength, so the length bound lives in the pattern, and additionalProperties: false
 * refuses any key the pattern does not match (a 900,000-character key used to pass).
 */
export const KEY_PATTERN = `^[A-Za-z0-9_.:/-]{1,${MAX_KEY_LENGTH}}$`;
const Key = Type.String({ pattern: KEY_PATTERN });

export const Metrics = Type.Record(Key, Type.Number(), { maxProperties: MAX_METRICS, additionalProperties: false });
export type Metrics = Static<typeof Metrics>;

/** Free-form training configuration sent with a fit instruction (epochs, batch size, ...). */
export const TrainConfig = Type.Record(Key, Type.Union([Type.Number(), Type.String({ maxLength: MAX_STRING }), Type.Boolean()]), {
  maxProperties: MAX_CONFIG_KEYS,
  additionalProperties: false,
});
export type TrainConfig = Static<typeof TrainConfig>;

export const TensorSpecSchema = Type.Object({
  name: Str(256),
  shape: Type.Array(Type.Integer({ minimum: 0, maximum: MAX_MODEL_ELEMENTS }), { maxItems: MAX_RANK }),
});

// ---- acknowledgements -------------------------------------------------------------------------

export const ErrorReply = Type.Object({ ok: Type.Literal(false), error: WireErrorSchema });
export const OkReply = Type.Object({ ok: Type.Literal(true) });
export const AckReply = Type.Union([OkReply, ErrorReply]);
export type AckReply = Static<typeof AckReply>;

// ---- hello ------------------------------------------------------------------------------------

export const Hello = Type.Object({
  protocolVersion: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
  token: Str(256),
  /** A stable name the node chooses (hostname, simulated index); informational only. */
  nodeName: Type.Optional(Str(128)),
  /** The training backend the node runs on, for logs and the dashboard. */
  backend: Type.Optional(Str(128)),
  /**
   * Resuming an earlier session's node id needs the proof it was given then: the resume secret
   * from that HelloReply (hex), or, for an enrolled identity, `identity`.
   */
  resumeNodeId: Type.Optional(NodeIdT),
  resumeSecret: Type.Optional(HexSecret),
  /**
   * Proof of an enrolled Ed25519 identity (active-mode SecAgg): the node id it is enrolled under
   * and a signature over helloTranscript(challenge nonce, node id).
   */
  identity: Type.Optional(Type.Object({ nodeId: NodeIdT, signature: ExactBytesT(64) })),
  /**
   * The tensor layout of the node's federated weights, so a node whose model differs from the
   * federation's (another --classes, another base) is told why at hello, not after a failed round.
   */
  layout: Type.Optional(Type.Array(TensorSpecSchema, { maxItems: MAX_TENSORS })),
});
export type Hello = Static<typeof Hello>;

export const HelloReply = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    protocolVersion: Type.Integer(),
    nodeId: NodeIdT,
    modelVersion: Type.Union([ModelVersion, Type.Null()]),
    /** Present this (with the node id) to resume this node after a reconnect; keep it secret. */
    resumeSecret: HexSecret,
  }),
  ErrorReply,
]);
export type HelloReply = Static<typeof HelloReply>;

/** Sent by the coordinator as soon as a connection opens: the nonce an identity proof signs. */
export const HelloChallenge = Type.Object({ nonce: ExactBytesT(32) });
export type HelloChallenge = Static<typeof HelloChallenge>;

/** The node can take an instruction now (sent after hello and whenever it goes idle). */
export const Ready = Type.Object({});
export type Ready = Static<typeof Ready>;

// ---- model transfer (pulled chunk by chunk: the puller sets the pace) ---------------------------

export const ManifestRequest = Type.Object({ version: ModelVersion });
export type ManifestRequest = Static<typeof ManifestRequest>;

export const ModelManifestSchema = Type.Object({
  version: ModelVersion,
  tensors: Type.Array(TensorSpecSchema, { maxItems: MAX_TENSORS }),
  totalElements: Type.Integer({ minimum: 0, maximum: MAX_MODEL_ELEMENTS }),
  chunkElements: Type.Integer({ minimum: 1, maximum: CHUNK_ELEMENTS }),
});
export type ModelManifestMessage = Static<typeof ModelManifestSchema>;

export const ManifestReply = Type.Union([Type.Object({ ok: Type.Literal(true), manifest: ModelManifestSchema }), ErrorReply]);
export type ManifestReply = Static<typeof ManifestReply>;

export const ChunkRequest = Type.Object({ version: ModelVersion, index: ChunkIndex });
export type ChunkRequest = Static<typeof ChunkRequest>;

export const ChunkReply = Type.Union([
  Type.Object({ ok: Type.Literal(true), version: ModelVersion, index: ChunkIndex, data: Float32ArrayT(CHUNK_ELEMENTS) }),
  ErrorReply,
]);
export type ChunkReply = Static<typeof ChunkReply>;

// ---- fit -------------------------------------------------------------------------------------

export const FitInstruction = Type.Object({
  round: Round,
  /** Null only for an `init` task, before the coordinator holds any model. */
  modelVersion: Type.Union([ModelVersion, Type.Null()]),
  /** `delta`: train and send w_local - w_global. `init`: send your freshly initialised weights. */
  task: Type.Union([Type.Literal('delta'), Type.Literal('init')]),
  config: TrainConfig,
  deadlineMs: Type.Integer({ minimum: 0 }),
  /**
   * Present when the update goes through secure aggregation: clip the delta to L2 norm `l2Clip`,
   * encode it into Z_{2^bits} at `scale` (ring.ts), and wait for the SecAgg stages instead of
   * uploading it in the clear.
   */
  secagg: Type.Optional(
    Type.Object({
      bits: Type.Integer({ minimum: 1, maximum: 32 }),
      scale: Type.Number({ exclusiveMinimum: 0 }),
      maxSummands: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
      clientBound: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
      l2Clip: Type.Number({ exclusiveMinimum: 0 }),
    }),
  ),
});
export type FitInstruction = Static<typeof FitInstruction>;

/** One chunk of a node's update, streamed in order after FitBegin; the coordinator acks each (backpressure). */
export const UpdateChunk = Type.Object({
  round: Round,
  index: ChunkIndex,
  totalChunks: Type.Integer({ minimum: 1, maximum: Math.ceil(MAX_MODEL_ELEMENTS / CHUNK_ELEMENTS) }),
  data: Float32ArrayT(CHUNK_ELEMENTS),
});
export type UpdateChunk = Static<typeof UpdateChunk>;

/**
 * What a node says it applied in a DP round, so the coordinator counts only updates made as the
 * round required (a node that cannot apply the mode refuses the round instead). Fixed protocol
 * fields only: the round's own parameters echoed back, and for local-sgd the node's epsilon.
 */
export const DpAttestation = Type.Object({
  mode: Type.Union([Type.Literal('central'), Type.Literal('distributed'), Type.Literal('local-sgd')]),
  /** The L2 clip applied: to the update (central, distributed) or to each record's gradient (local-sgd). */
  l2Clip: Type.Number({ exclusiveMinimum: 0 }),
  /** local-sgd: the noise multiplier the node's DP-SGD steps are accounted at. */
  noiseMultiplier: Type.Optional(Type.Number({ minimum: 0 })),
  /** distributed: the variance of the integer noise the node added, in ring units squared. */
  localVariance: Type.Optional(Type.Number({ minimum: 0 })),
  /** local-sgd: the node's own record-level epsilon so far, at `delta`. */
  epsilon: Type.Optional(Type.Number({ minimum: 0 })),
  delta: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
});
export type DpAttestation = Static<typeof DpAttestation>;

/** Sent before the chunks: the coordinator learns the weight and, for init, the layout up front. */
export const FitBegin = Type.Object({
  round: Round,
  /** Examples trained on, for example weighting; 0 under DP (weights are uniform and the count is private). */
  numExamples: Count,
  metrics: Metrics,
  /** Present in a DP round: what the node applied. */
  dp: Type.Optional(DpAttestation),
  /** For an init task: the tensor layout of the weights just streamed. */
  tensors: Type.Optional(Type.Array(TensorSpecSchema, { maxItems: MAX_TENSORS })),
  /**
   * For an init task: what the weights are, for exports (e.g. `format: fedtune-lora`, the LoRA
   * rank, alpha and targets, the base model's name and hash). Never data.
   */
  modelInfo: Type.Optional(Type.Record(Key, Str(256), { maxProperties: 16, additionalProperties: false })),
});
export type FitBegin = Static<typeof FitBegin>;

export const FitFailure = Type.Object({ round: Round, error: WireErrorSchema });
export type FitFailure = Static<typeof FitFailure>;

// ---- evaluate --------------------------------------------------------------------------------

export const EvaluateInstruction = Type.Object({
  round: Round,
  modelVersion: ModelVersion,
  config: TrainConfig,
  deadlineMs: Type.Integer({ minimum: 0 }),
});
export type EvaluateInstruction = Static<typeof EvaluateInstruction>;

export const EvaluateResult = Type.Object({
  round: Round,
  numExamples: Count,
  loss: Type.Number(),
  metrics: Metrics,
});
export type EvaluateResult = Static<typeof EvaluateResult>;

// ---- broadcasts ------------------------------------------------------------------------------

export const RoundEnd = Type.Object({
  round: Round,
  status: Type.Union([Type.Literal('completed'), Type.Literal('aborted')]),
  modelVersion: Type.Union([ModelVersion, Type.Null()]),
  reason: Type.Optional(Str(2048)),
});
export type RoundEnd = Static<typeof RoundEnd>;

export const TrainingFinished = Type.Object({
  reason: Str(2048),
  modelVersion: Type.Union([ModelVersion, Type.Null()]),
  /**
   * `completed`: every configured round ran and completed; `incomplete`: training ended short of
   * that (rounds aborted, the privacy budget); `failed`: the engine could not run rounds. Absent
   * from coordinators before it: read as completed.
   */
  status: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('incomplete'), Type.Literal('failed')])),
  completedRounds: Type.Optional(Count),
  rounds: Type.Optional(Count),
});
export type TrainingFinished = Static<typeof TrainingFinished>;

/** A graceful stop that is not the end of training: nodes keep their state and reconnect. */
export const CoordinatorRestarting = Type.Object({
  reason: Str(2048),
  /** When to start trying again, in ms (nodes add jitter and back off from there). */
  retryAfterMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
});
export type CoordinatorRestarting = Static<typeof CoordinatorRestarting>;

export const ErrorNotice = WireErrorSchema;
export type ErrorNotice = Static<typeof ErrorNotice>;
