// Size limits enforced while decoding untrusted frames. Schemas embed the static caps; the
// frame byte cap is also given to socket.io as maxHttpBufferSize.

/** Elements of float32/uint32 per streamed chunk (1 MiB of payload). */
export const CHUNK_ELEMENTS = 262_144;
/** The most tensors a model may have. */
export const MAX_TENSORS = 4_096;
/** The most rank a tensor may have. */
export const MAX_RANK = 8;
/** The most elements a whole model (the federated part) may have: 1 GiB of float32. */
export const MAX_MODEL_ELEMENTS = 2 ** 28;
/** Longest name, token or free-text string accepted. */
export const MAX_STRING = 512;
/** Longest metric or train-config key. */
export const MAX_KEY_LENGTH = 64;
/** The most metric entries one message may carry. */
export const MAX_METRICS = 64;
/** Largest encoded frame: one chunk plus generous room for its envelope. */
export const MAX_FRAME_BYTES = CHUNK_ELEMENTS * 4 + 64 * 1024;
/** The largest train config object, in encoded bytes, is bounded by the frame cap. */
export const MAX_CONFIG_KEYS = 64;
