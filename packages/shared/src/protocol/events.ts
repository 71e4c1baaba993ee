// The one typed event map: it types both the socket.io Server and the client socket. Every event
// carries a single msgpack frame; MESSAGE_SCHEMAS names the schema that decodes it.
import type { Static, TSchema } from '@sinclair/typebox';
import * as S from '../secagg/messages.js';
import * as M from './messages.js';

/** An encoded frame whose decoded form is T; the brand exists only for the type checker. */
export type Frame<T> = Uint8Array & { readonly __frameOf?: T };

type Ack<R> = (reply: Frame<R>) => void;

export interface ClientToServerEvents {
  hello: (frame: Frame<M.Hello>, ack: Ack<M.HelloReply>) => void;
  ready: (frame: Frame<M.Ready>, ack: Ack<M.AckReply>) => void;
  'model:manifest': (frame: Frame<M.ManifestRequest>, ack: Ack<M.ManifestReply>) => void;
  'model:chunk': (frame: Frame<M.ChunkRequest>, ack: Ack<M.ChunkReply>) => void;
  'fit:chunk': (frame: Frame<M.UpdateChunk>, ack: Ack<M.AckReply>) => void;
  'fit:begin': (frame: Frame<M.FitBegin>, ack: Ack<M.AckReply>) => void;
  'fit:failure': (frame: Frame<M.FitFailure>) => void;
  'evaluate:result': (frame: Frame<M.EvaluateResult>, ack: Ack<M.AckReply>) => void;
  // Secure aggregation (secagg/messages.ts), after fit:begin of a SecAgg round:
  'secagg:advertise-keys': (frame: Frame<S.AdvertiseKeysMsg>, ack: Ack<M.AckReply>) => void;
  'secagg:share-keys': (frame: Frame<S.ShareKeysMsg>, ack: Ack<M.AckReply>) => void;
  'secagg:masked-input-chunk': (frame: Frame<S.MaskedInputChunkMsg>, ack: Ack<M.AckReply>) => void;
  'secagg:consistency': (frame: Frame<S.ConsistencyMsg>, ack: Ack<M.AckReply>) => void;
  'secagg:unmask': (frame: Frame<S.UnmaskMsg>, ack: Ack<M.AckReply>) => void;
}

export interface ServerToClientEvents {
  'hello:challenge': (frame: Frame<M.HelloChallenge>) => void;
  'round:fit': (frame: Frame<M.FitInstruction>) => void;
  'round:evaluate': (frame: Frame<M.EvaluateInstruction>) => void;
  'round:end': (frame: Frame<M.RoundEnd>) => void;
  'training:finished': (frame: Frame<M.TrainingFinished>) => void;
  'coordinator:restarting': (frame: Frame<M.CoordinatorRestarting>) => void;
  'fedtune:error': (frame: Frame<M.ErrorNotice>) => void;
  'secagg:setup': (frame: Frame<S.SecAggSetup>) => void;
  'secagg:share-keys-request': (frame: Frame<S.ShareKeysRequest>) => void;
  'secagg:masked-input-request': (frame: Frame<S.MaskedInputRequest>) => void;
  'secagg:consistency-request': (frame: Frame<S.ConsistencyRequest>) => void;
  'secagg:unmask-request': (frame: Frame<S.UnmaskRequest>) => void;
  'secagg:abort': (frame: Frame<S.SecAggAbort>) => void;
}

/** Schema of each event's frame and, for acknowledged events, of its reply. */
export const MESSAGE_SCHEMAS = {
  hello: { request: M.Hello, reply: M.HelloReply },
  'hello:challenge': { request: M.HelloChallenge },
  ready: { request: M.Ready, reply: M.AckReply },
  'model:manifest': { request: M.ManifestRequest, reply: M.ManifestReply },
  'model:chunk': { request: M.ChunkRequest, reply: M.ChunkReply },
  'fit:chunk': { request: M.UpdateChunk, reply: M.AckReply },
  'fit:begin': { request: M.FitBegin, reply: M.AckReply },
  'fit:failure': { request: M.FitFailure },
  'evaluate:result': { request: M.EvaluateResult, reply: M.AckReply },
  'round:fit': { request: M.FitInstruction },
  'round:evaluate': { request: M.EvaluateInstruction },
  'round:end': { request: M.RoundEnd },
  'training:finished': { request: M.TrainingFinished },
  'coordinator:restarting': { request: M.CoordinatorRestarting },
  'fedtune:error': { request: M.ErrorNotice },
  'secagg:setup': { request: S.SecAggSetup },
  'secagg:advertise-keys': { request: S.AdvertiseKeysMsg, reply: M.AckReply },
  'secagg:share-keys-request': { request: S.ShareKeysRequest },
  'secagg:share-keys': { request: S.ShareKeysMsg, reply: M.AckReply },
  'secagg:masked-input-request': { request: S.MaskedInputRequest },
  'secagg:masked-input-chunk': { request: S.MaskedInputChunkMsg, reply: M.AckReply },
  'secagg:consistency-request': { request: S.ConsistencyRequest },
  'secagg:consistency': { request: S.ConsistencyMsg, reply: M.AckReply },
  'secagg:unmask-request': { request: S.UnmaskRequest },
  'secagg:unmask': { request: S.UnmaskMsg, reply: M.AckReply },
  'secagg:abort': { request: S.SecAggAbort },
} as const satisfies Record<keyof ClientToServerEvents | keyof ServerToClientEvents, { request: TSchema; reply?: TSchema }>;

export type EventName = keyof typeof MESSAGE_SCHEMAS;
type Entry<E extends EventName> = (typeof MESSAGE_SCHEMAS)[E];
/** The decoded message of event E. */
export type MessageOf<E extends EventName> = Static<Entry<E>['request']>;
/** The decoded reply of acknowledged event E. */
export type ReplyOf<E extends EventName> = Entry<E> extends { reply: infer R extends TSchema } ? Static<R> : never;
