// Small argument asserters for the secure-aggregation core (noble style): they name the argument and
// the bad value, and build the message only on failure. Wrong type: TypeError; wrong size: RangeError.

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value;
}

/** @throws TypeError unless `value` is a Uint8Array; RangeError unless its length is `length` (when given). */
export function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${show(value)}`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
}

/** @throws TypeError unless `value` is a Uint32Array; RangeError when longer than `maxLength`. */
export function assertU32Array(name: string, value: unknown, maxLength?: number): asserts value is Uint32Array {
  if (!(value instanceof Uint32Array)) throw new TypeError(`${name} must be a Uint32Array, got ${show(value)}`);
  if (maxLength !== undefined && value.length > maxLength) throw new RangeError(`${name} has ${value.length} elements, more than ${maxLength}`);
}

/** @throws TypeError unless `value` is a safe integer; RangeError outside [min, max]. */
export function assertInt(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${show(value)}`);
  }
}

/** @throws TypeError unless `value` is a finite number; RangeError outside [min, max]. */
export function assertNumber(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name} must be a finite number in [${min}, ${max}], got ${show(value)}`);
}

/** @throws TypeError unless `value` is a non-empty string of at most `maxLength` characters. */
export function assertId(name: string, value: unknown, maxLength = 64): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${show(value)}`);
  if (value.length === 0 || value.length > maxLength) throw new RangeError(`${name} must have 1..${maxLength} characters, got ${value.length}`);
}

/** Ring width in bits, 1..32. @throws TypeError / RangeError. */
export function assertBits(name: string, value: unknown): asserts value is number {
  assertInt(name, value, 1, 32);
}
