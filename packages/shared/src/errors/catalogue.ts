// The error catalogue: every failure that crosses the wire has an FT_ERR_* code, a fixed message
// and an HTTP-like status. Only code + message travel; never a stack trace.

/** The longest detail an error keeps (the wire message is capped at 2,048 characters). */
export const MAX_DETAIL = 512;

/** Catalogue entry: the fixed public message and a status class. */
export interface ErrorEntry {
  readonly status: number;
  readonly message: string;
}

export const ERROR_CATALOGUE = {
  FT_ERR_MALFORMED: { status: 400, message: 'message could not be decoded or does not match its schema' },
  FT_ERR_TOO_LARGE: { status: 413, message: 'message exceeds a size limit' },
  FT_ERR_VERSION: { status: 426, message: 'protocol version mismatch' },
  FT_ERR_AUTH: { status: 401, message: 'enrollment token refused' },
  FT_ERR_NOT_AUTHENTICATED: { status: 401, message: 'say hello with a valid token first' },
  FT_ERR_LIMIT: { status: 429, message: 'a limit was reached; retry later' },
  FT_ERR_STAGE: { status: 409, message: 'message does not fit the current stage of the round' },
  FT_ERR_STALE_ROUND: { status: 409, message: 'message names a round that is not in progress' },
  FT_ERR_NOT_SELECTED: { status: 403, message: 'node is not in this round' },
  FT_ERR_DUPLICATE: { status: 409, message: 'this part was already received' },
  FT_ERR_SHAPE: { status: 422, message: 'tensor shapes or lengths do not match the model' },
  FT_ERR_NON_FINITE: { status: 422, message: 'weights contain NaN or Infinity' },
  FT_ERR_OVERFLOW: { status: 422, message: 'value does not fit the aggregation ring' },
  FT_ERR_BOUND: { status: 422, message: 'value exceeds its bound (update norm, example count, aggregate)' },
  FT_ERR_UNKNOWN_MODEL: { status: 404, message: 'model version is not held by the coordinator' },
  FT_ERR_DEADLINE: { status: 408, message: 'stage deadline passed' },
  FT_ERR_ROUND_ABORTED: { status: 409, message: 'round aborted' },
  FT_ERR_BUDGET: { status: 403, message: 'privacy budget exhausted' },
  FT_ERR_DP_REFUSED: { status: 412, message: 'differential privacy the round requires was not applied' },
  FT_ERR_CONFIG: { status: 400, message: 'invalid configuration' },
  FT_ERR_STORE: { status: 500, message: 'the coordinator store is unreadable, locked or inconsistent' },
  FT_ERR_STORE_KEY: { status: 403, message: 'the at-rest key does not open the coordinator store' },
  FT_ERR_NOT_LEADER: { status: 409, message: 'another coordinator instance leads this run now' },
  FT_ERR_TRAINING: { status: 500, message: 'local training failed' },
  FT_ERR_INTERNAL: { status: 500, message: 'internal error' },
} as const satisfies Record<`FT_ERR_${string}`, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The error form that travels on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** An error with a catalogue code. `detail` is appended to the public message and must not hold secrets. */
export class FedtuneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CATALOGUE[code];
    // A detail can quote hostile input (a 900,000-character key in a schema path): keep it short.
    const short = detail !== undefined && detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}... (${detail.length} characters)` : detail;
    super(short === undefined ? entry.message : `${entry.message}: ${short}`, options);
    this.name = 'FedtuneError';
    this.code = code;
    this.status = entry.status;
  }

  /** Rebuilds an error received on the wire, keeping the sender's message. */
  static fromWire(wire: WireError): FedtuneError {
    const err = new FedtuneError(isErrorCode(wire.code) ? wire.code : 'FT_ERR_INTERNAL');
    err.message = String(wire.message).slice(0, 2048);
    return err;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message.slice(0, 2048) };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/** Maps anything thrown to its wire form; unknown errors become FT_ERR_INTERNAL without their text. */
export function toWireError(err: unknown): WireError {
  if (err instanceof FedtuneError) return err.toWire();
  return { code: 'FT_ERR_INTERNAL', message: ERROR_CATALOGUE.FT_ERR_INTERNAL.message };
}
