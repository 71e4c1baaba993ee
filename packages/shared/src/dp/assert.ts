// Argument asserters shared by the DP modules: name the argument and the bad value, and build the
// message only on failure (TypeError for a wrong type, RangeError for a wrong value).

/** Throws unless `value` is a finite number. */
export function assertFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
}

/** Throws unless `value` is a finite number > 0. */
export function assertPositive(name: string, value: unknown): asserts value is number {
  assertFinite(name, value);
  if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
}

/** Throws unless `value` is a finite number >= 0. */
export function assertNonNegative(name: string, value: unknown): asserts value is number {
  assertFinite(name, value);
  if (!(value >= 0)) throw new RangeError(`${name} must be >= 0, got ${value}`);
}

/** Throws unless `value` is in [0, 1]. */
export function assertProbability(name: string, value: unknown): asserts value is number {
  assertFinite(name, value);
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${value}`);
}

/** Throws unless `value` is a delta in (0, 1). */
export function assertDelta(name: string, value: unknown): asserts value is number {
  assertFinite(name, value);
  if (!(value > 0 && value < 1)) throw new RangeError(`${name} must be in (0, 1), got ${value}`);
}

/** Throws unless `value` is a safe integer >= `min`. */
export function assertInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}
