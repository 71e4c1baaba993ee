// fast-check generators of what a hostile peer sends a coordinator: for every client-to-server event,
// values shaped like its schema with hostile contents (wrong rounds, NaN and huge numbers, oversized
// and odd keys, wrong typed arrays, nesting), plus frames that are not msgpack, not binary, or not an
// event the protocol knows. Used by the protocol fuzzer (protocol-fuzzer.ts).
import fc from 'fast-check';

/** Numbers a careless or hostile encoder produces. */
const hostileNumber = fc.oneof(
  fc.integer({ min: -3, max: 10 }),
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 31, 2 ** 40, 2 ** 53, -0, 1e308, 3.4e38, 0.5),
  fc.double(),
);
const round = fc.oneof(fc.integer({ min: 0, max: 12 }), hostileNumber);
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const key = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('trainLoss', 'accuracy', 'epsilon', '__proto__', 'constructor', 'a b', ''), fc.string({ minLength: 65, maxLength: 2_000 }));
const metrics = fc.dictionary(key, hostileNumber, { maxKeys: 70 });
const bytes = (max: number) => fc.oneof(fc.uint8Array({ maxLength: max }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }));
const floats = fc.oneof(fc.float32Array({ maxLength: 64 }), fc.constant(new Float32Array(8).fill(NaN)), fc.constant(new Float32Array(8).fill(3.4e38)));
const words = fc.uint32Array({ maxLength: 64 });
const nodeId = fc.oneof(hex(32), fc.string({ maxLength: 80 }));
const anything: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), bytes(40), floats, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })),
})).value;

/** One shape per client-to-server event, each a record with some fields left out or replaced. */
export const EVENT_ARBITRARIES: Readonly<Record<string, fc.Arbitrary<Record<string, unknown>>>> = {
  hello: fc.record(
    {
      protocolVersion: fc.oneof(fc.constant(1), hostileNumber),
      token: fc.oneof(fc.string({ maxLength: 300 }), fc.constant('x'.repeat(24))),
      nodeName: fc.string({ maxLength: 200 }),
      backend: fc.string({ maxLength: 20 }),
      resumeNodeId: nodeId,
      resumeSecret: fc.oneof(hex(64), fc.string({ maxLength: 70 })),
      identity: fc.record({ nodeId, signature: bytes(70) }),
    },
    { requiredKeys: ['protocolVersion', 'token'] },
  ),
  ready: fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 6 }), anything, { maxKeys: 3 })),
  'model:manifest': fc.record({ version: fc.oneof(hex(64), fc.string({ maxLength: 70 })) }),
  'model:chunk': fc.record({ version: fc.oneof(hex(64), fc.string({ maxLength: 70 })), index: hostileNumber }),
  'fit:begin': fc.record(
    { round, numExamples: hostileNumber, metrics, tensors: fc.array(fc.record({ name: fc.string({ maxLength: 300 }), shape: fc.array(hostileNumber, { maxLength: 10 }) }), { maxLength: 5 }) },
    { requiredKeys: ['round', 'numExamples', 'metrics'] },
  ),
  'fit:chunk': fc.record({ round, index: hostileNumber, totalChunks: hostileNumber, data: fc.oneof(floats, words, bytes(64)) }),
  'fit:failure': fc.record({ round, error: fc.record({ code: fc.oneof(fc.constant('FT_ERR_TRAINING'), fc.string({ maxLength: 20 })), message: fc.string({ maxLength: 3_000 }) }) }),
  'evaluate:result': fc.record({ round, numExamples: hostileNumber, loss: hostileNumber, metrics }),
  'secagg:advertise-keys': fc.record({ round, cPk: bytes(40), sPk: bytes(40), signature: bytes(70) }, { requiredKeys: ['round', 'cPk', 'sPk'] }),
  'secagg:share-keys': fc.record({
    round,
    shares: fc.array(fc.record({ to: nodeId, ciphertext: bytes(600), commitB: bytes(40), commitS: bytes(40) }), { maxLength: 6 }),
    seedCommitment: bytes(40),
  }),
  'secagg:masked-input-chunk': fc.record({ round, chunkIndex: hostileNumber, data: fc.oneof(words, floats) }),
  'secagg:consistency': fc.record({ round, signature: bytes(70) }),
  'secagg:unmask': fc.record(
    {
      round,
      shares: fc.array(fc.record({ owner: nodeId, kind: fc.constantFrom('b', 's', 'x'), x: hostileNumber, y: bytes(40), nonce: bytes(40) }), { maxLength: 6 }),
      complaints: fc.array(nodeId, { maxLength: 4 }),
    },
    { requiredKeys: ['round', 'shares'] },
  ),
};

export type FuzzFrame =
  | { kind: 'message'; event: string; value: unknown }
  | { kind: 'raw'; event: string; payload: unknown }
  | { kind: 'noAck'; event: string; value: unknown };

const knownEvents = Object.keys(EVENT_ARBITRARIES);

/**
 * One frame to send: mostly a schema-shaped message for a known event (encoded with msgpack, valid
 * or not), sometimes a message without an ack callback, random bytes, a non-binary payload, or an
 * event the protocol does not have.
 */
export const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom(...knownEvents).chain((event) => EVENT_ARBITRARIES[event]!.map((value): FuzzFrame => ({ kind: 'message', event, value }))) },
  { weight: 2, arbitrary: fc.constantFrom(...knownEvents).chain((event) => anything.map((value): FuzzFrame => ({ kind: 'message', event, value }))) },
  { weight: 1, arbitrary: fc.constantFrom(...knownEvents).chain((event) => EVENT_ARBITRARIES[event]!.map((value): FuzzFrame => ({ kind: 'noAck', event, value }))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...knownEvents), fc.uint8Array({ maxLength: 300 })).map(([event, payload]): FuzzFrame => ({ kind: 'raw', event, payload })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...knownEvents), fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.constant(null))).map(([event, payload]): FuzzFrame => ({ kind: 'raw', event, payload })) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('round:fit', 'training:finished', 'secagg:setup')), anything).map(([event, value]): FuzzFrame => ({ kind: 'message', event, value })) },
);
