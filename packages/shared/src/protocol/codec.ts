// The frame codec: msgpack (msgpackr) with typed arrays as binary extensions, size-checked before
// decoding and schema-checked after, so no handler ever sees an unvalidated value.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Packr } from 'msgpackr';
import { FedtuneError } from '../errors/catalogue.js';
import { MaskedInputChunkMsg } from '../secagg/messages.js';
import { MESSAGE_SCHEMAS, type EventName, type Frame, type MessageOf, type ReplyOf } from './events.js';
import { MAX_FRAME_BYTES } from './limits.js';
import { decodeMaskedChunkFrame, encodeMaskedChunkFrame } from './masked-chunk-frame.js';

// moreTypes: typed arrays travel as msgpack ext 0x74 (raw little-endian element bytes).
// useRecords false: plain maps, so a foreign decoder (or a hostile one) gets nothing stateful.
const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true, bundleStrings: false });

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checker<S extends TSchema>(schema: S): TypeCheck<S> {
  let c = compiled.get(schema);
  if (c === undefined) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c as TypeCheck<S>;
}

/** Encodes a value that must satisfy `schema`; a mismatch is a programming error (FT_ERR_INTERNAL). */
export function encodeWith<S extends TSchema>(schema: S, value: Static<S>): Frame<Static<S>> {
  const check = checker(schema);
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    throw new FedtuneError('FT_ERR_INTERNAL', `refusing to encode an invalid message at ${first?.path ?? '/'}: ${first?.message ?? ''}`);
  }
  // Masked chunks: the same msgpack, laid out so the receiver can skip a copy (masked-chunk-frame.ts).
  if ((schema as TSchema) === MaskedInputChunkMsg) return encodeMaskedChunkFrame(value as MaskedInputChunkMsg) as Frame<Static<S>>;
  const packed = packr.pack(value);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/**
 * Decodes and validates an untrusted frame.
 * @throws FedtuneError FT_ERR_TOO_LARGE when over `maxBytes`, FT_ERR_MALFORMED when it is not a
 * byte array, not msgpack, or does not match the schema.
 */
export function decodeWith<S extends TSchema>(schema: S, frame: unknown, maxBytes = MAX_FRAME_BYTES): Static<S> {
  if (!(frame instanceof Uint8Array)) throw new FedtuneError('FT_ERR_MALFORMED', 'frame is not binary');
  if (frame.byteLength > maxBytes) throw new FedtuneError('FT_ERR_TOO_LARGE', `${frame.byteLength} bytes > ${maxBytes}`);
  let value: unknown = (schema as TSchema) === MaskedInputChunkMsg ? decodeMaskedChunkFrame(frame) : undefined;
  if (value === undefined) {
    try {
      value = packr.unpack(frame);
    } catch {
      throw new FedtuneError('FT_ERR_MALFORMED', 'not valid msgpack');
    }
  }
  const check = checker(schema);
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    throw new FedtuneError('FT_ERR_MALFORMED', `${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  return value;
}

/**
 * Encodes any value with the wire's msgpack settings and no schema check: what a hostile or buggy
 * peer can put on the wire (fuzzers and attack tests use it; the protocol never does).
 */
export function encodeUnchecked(value: unknown): Uint8Array {
  const packed = packr.pack(value);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** Decodes only far enough to read a frame as a plain object (for the version check at hello). */
export function peekObject(frame: unknown, maxBytes = MAX_FRAME_BYTES): Record<string, unknown> | null {
  if (!(frame instanceof Uint8Array) || frame.byteLength > maxBytes) return null;
  try {
    const v: unknown = packr.unpack(frame);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function encodeMessage<E extends EventName>(event: E, value: MessageOf<E>): Frame<MessageOf<E>> {
  return encodeWith(MESSAGE_SCHEMAS[event].request as TSchema, value) as Frame<MessageOf<E>>;
}

export function decodeMessage<E extends EventName>(event: E, frame: unknown, maxBytes?: number): MessageOf<E> {
  return decodeWith(MESSAGE_SCHEMAS[event].request as TSchema, frame, maxBytes) as MessageOf<E>;
}

export function encodeReply<E extends EventName>(event: E, value: ReplyOf<E>): Frame<ReplyOf<E>> {
  const entry = MESSAGE_SCHEMAS[event] as { reply?: TSchema };
  if (entry.reply === undefined) throw new FedtuneError('FT_ERR_INTERNAL', `event ${event} has no reply`);
  return encodeWith(entry.reply, value) as Frame<ReplyOf<E>>;
}

export function decodeReply<E extends EventName>(event: E, frame: unknown, maxBytes?: number): ReplyOf<E> {
  const entry = MESSAGE_SCHEMAS[event] as { reply?: TSchema };
  if (entry.reply === undefined) throw new FedtuneError('FT_ERR_INTERNAL', `event ${event} has no reply`);
  return decodeWith(entry.reply, frame, maxBytes) as ReplyOf<E>;
}
