import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { decodeMessage, decodeReply, encodeMessage, encodeReply, peekObject } from './codec.js';
import { FedtuneError } from '../errors/catalogue.js';
import { CHUNK_ELEMENTS, MAX_FRAME_BYTES } from './limits.js';
import { MESSAGE_SCHEMAS } from './events.js';

const rawPack = (v: unknown) => new Packr({ useRecords: false, moreTypes: true }).pack(v);
const VERSION = 'a'.repeat(64);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as FedtuneError).code;
  }
  return undefined;
}

describe('frame codec', () => {
  it('round-trips every message kind, typed arrays as binary', () => {
    const chunk = { round: 3, index: 1, totalChunks: 2, data: Float32Array.from([1.5, -2, 3e-8]) };
    const back = decodeMessage('fit:chunk', encodeMessage('fit:chunk', chunk));
    expect(back.data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.data)).toEqual(Array.from(chunk.data));
    // 3 floats travel as 12 raw bytes plus a small envelope, not as msgpack numbers.
    expect(encodeMessage('fit:chunk', chunk).byteLength).toBeLessThan(12 + 48);

    const samples: Record<string, unknown> = {
      hello: { protocolVersion: 1, token: 't', nodeName: 'n', backend: 'cpu' },
      'model:manifest': { version: VERSION },
      'model:chunk': { version: VERSION, index: 0 },
      'fit:begin': { round: 1, numExamples: 10, metrics: { trainLoss: 0.5 }, tensors: [{ name: 'w', shape: [2, 3] }] },
      'fit:failure': { round: 1, error: { code: 'FT_ERR_TRAINING', message: 'oom' } },
      'evaluate:result': { round: 1, numExamples: 5, loss: 0.1, metrics: { accuracy: 0.9 } },
      'round:fit': { round: 1, modelVersion: VERSION, task: 'delta', config: { epochs: 1, optimizer: 'sgd', shuffle: true }, deadlineMs: 1000 },
      'round:evaluate': { round: 1, modelVersion: VERSION, config: {}, deadlineMs: 1000 },
      'round:end': { round: 1, status: 'aborted', modelVersion: null, reason: 'too few' },
      'training:finished': { reason: 'done', modelVersion: VERSION },
      'fedtune:error': { code: 'FT_ERR_STAGE', message: 'x' },
    };
    for (const [event, msg] of Object.entries(samples)) {
      const e = event as keyof typeof MESSAGE_SCHEMAS;
      expect(decodeMessage(e, encodeMessage(e, msg as never))).toEqual(msg);
    }
    expect(decodeReply('hello', encodeReply('hello', { ok: false, error: { code: 'FT_ERR_AUTH', message: 'no' } }))).toEqual({
      ok: false,
      error: { code: 'FT_ERR_AUTH', message: 'no' },
    });
  });

  it('property: any finite chunk round-trips bit for bit', () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 512, noDefaultInfinity: true, noNaN: true }), fc.nat(1000), (data, round) => {
        const back = decodeMessage('fit:chunk', encodeMessage('fit:chunk', { round, index: 0, totalChunks: 1, data }));
        expect(new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses what is not a frame, not msgpack, or not the schema, with FT_ERR_MALFORMED', () => {
    expect(codeOf(() => decodeMessage('hello', 'text'))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('hello', { protocolVersion: 1 }))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('hello', new Uint8Array([0xc1])))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('hello', rawPack({ protocolVersion: 1 })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('hello', rawPack({ protocolVersion: 1.5, token: 't' })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('fit:chunk', rawPack({ round: 1, index: 0, totalChunks: 1, data: [1, 2] })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('fit:chunk', rawPack({ round: 1, index: 0, totalChunks: 1, data: new Float64Array(2) })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('fit:chunk', rawPack({ round: -1, index: 0, totalChunks: 1, data: new Float32Array(2) })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('model:chunk', rawPack({ version: 'xyz', index: 0 })))).toBe('FT_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage('fit:begin', rawPack({ round: 1, numExamples: 1, metrics: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, 1])) })))).toBe(
      'FT_ERR_MALFORMED',
    );
    expect(codeOf(() => decodeMessage('hello', rawPack({ protocolVersion: 1, token: 'x'.repeat(10_000) })))).toBe('FT_ERR_MALFORMED');
  });

  it('enforces the size limits while decoding', () => {
    expect(codeOf(() => decodeMessage('hello', new Uint8Array(MAX_FRAME_BYTES + 1)))).toBe('FT_ERR_TOO_LARGE');
    const tooLong = rawPack({ round: 1, index: 0, totalChunks: 1, data: new Float32Array(CHUNK_ELEMENTS + 1) });
    expect(codeOf(() => decodeMessage('fit:chunk', tooLong))).toBe('FT_ERR_MALFORMED');
    const ok = rawPack({ round: 1, index: 0, totalChunks: 1, data: new Float32Array(CHUNK_ELEMENTS) });
    expect(decodeMessage('fit:chunk', ok).data.length).toBe(CHUNK_ELEMENTS);
  });

  it('refuses to encode an invalid message (a bug, not a node fault)', () => {
    expect(codeOf(() => encodeMessage('hello', { protocolVersion: 1 } as never))).toBe('FT_ERR_INTERNAL');
  });

  it('peeks the protocol version even when the rest of a hello is foreign', () => {
    expect(peekObject(rawPack({ protocolVersion: 9, shiny: [1] }))).toEqual({ protocolVersion: 9, shiny: [1] });
    expect(peekObject(rawPack([1, 2]))).toBeNull();
    expect(peekObject('nope')).toBeNull();
  });
});
