import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, FedtuneError, isErrorCode, toWireError } from './catalogue.js';

describe('error catalogue', () => {
  it('is consistent: FT_ERR_ codes, a message and an HTTP-class status each', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^FT_ERR_[A-Z_]+$/);
      expect(entry.message.length).toBeGreaterThan(5);
      expect(entry.message).not.toMatch(/[.]$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
    }
    expect(new Set(Object.values(ERROR_CATALOGUE).map((e) => e.message)).size).toBe(Object.keys(ERROR_CATALOGUE).length);
  });

  it('puts only code and message on the wire, never a stack or an unknown error text', () => {
    const e = new FedtuneError('FT_ERR_SHAPE', 'chunk 3 has 7 elements');
    expect(e.toWire()).toEqual({ code: 'FT_ERR_SHAPE', message: 'tensor shapes or lengths do not match the model: chunk 3 has 7 elements' });
    expect(toWireError(new Error('secret path /etc/x'))).toEqual({ code: 'FT_ERR_INTERNAL', message: 'internal error' });
    expect(JSON.stringify(toWireError(e))).not.toContain('at ');
    expect(isErrorCode('FT_ERR_AUTH')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });
});
