// Encryption at rest: XSalsa20-Poly1305 (NaCl secretbox, Bernstein 2009, via tweetnacl) in the
// STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár (CRYPTO 2015): the plaintext is
// cut into 1 MiB segments, each sealed under nonce = prefix || segment index || last-segment flag,
// so segments cannot be reordered, dropped or truncated unnoticed. Each value is sealed under its
// own key HKDF-SHA256(master, info = context) (RFC 5869), so a ciphertext moved to another row
// (an older ledger, another model) does not open there.
import { FedtuneError, type CryptoProvider } from '@fedtune/shared';
import nacl from 'tweetnacl';

const MAGIC = new Uint8Array([0x46, 0x54, 0x53, 0x31]); // "FTS1"
const PREFIX_BYTES = 16;
const MAC_BYTES = nacl.secretbox.overheadLength;
/** Plaintext bytes per segment. */
export const SEGMENT_BYTES = 1 << 20;
const SALT = new TextEncoder().encode('fedtune store at rest v1');

/** The master key: 32 bytes. */
export const AT_REST_KEY_BYTES = 32;

function segmentNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  const view = new DataView(nonce.buffer);
  view.setUint32(16, index, false);
  view.setUint32(20, last ? 1 : 0, false);
  return nonce;
}

/** Seals and opens values under one master key; every value names its context. */
export class AtRestCipher {
  private readonly keys = new Map<string, Uint8Array>();

  /** @throws RangeError when the key is not 32 bytes. */
  constructor(
    private readonly crypto: CryptoProvider,
    private readonly master: Uint8Array,
  ) {
    if (!(master instanceof Uint8Array) || master.length !== AT_REST_KEY_BYTES) throw new RangeError(`the at-rest key must be ${AT_REST_KEY_BYTES} bytes, got ${master?.length}`);
  }

  private keyFor(context: string): Uint8Array {
    let k = this.keys.get(context);
    if (k === undefined) {
      k = this.crypto.hkdfSha256(this.master, SALT, new TextEncoder().encode(context), 32);
      // Model contexts are one per version: keep the cache from growing over a long run.
      if (this.keys.size > 1024) this.keys.clear();
      this.keys.set(context, k);
    }
    return k;
  }

  /** The sealed form of `plain` for `context`: magic, a random nonce prefix, then the sealed segments. */
  seal(plain: Uint8Array, context: string): Uint8Array {
    const key = this.keyFor(context);
    const prefix = this.crypto.randomBytes(PREFIX_BYTES);
    const segments = Math.max(1, Math.ceil(plain.length / SEGMENT_BYTES));
    const out = new Uint8Array(MAGIC.length + PREFIX_BYTES + plain.length + segments * MAC_BYTES);
    out.set(MAGIC, 0);
    out.set(prefix, MAGIC.length);
    let pos = MAGIC.length + PREFIX_BYTES;
    for (let i = 0; i < segments; i++) {
      const part = plain.subarray(i * SEGMENT_BYTES, Math.min(plain.length, (i + 1) * SEGMENT_BYTES));
      const box = nacl.secretbox(part, segmentNonce(prefix, i, i === segments - 1), key);
      out.set(box, pos);
      pos += box.length;
    }
    return out;
  }

  /**
   * The plaintext of a value sealed for `context`.
   * @throws FedtuneError FT_ERR_STORE_KEY when it does not open (wrong key, wrong context, altered or truncated).
   */
  open(sealed: Uint8Array, context: string): Uint8Array {
    const fail = (why: string) => new FedtuneError('FT_ERR_STORE_KEY', `${context}: ${why}`);
    const head = MAGIC.length + PREFIX_BYTES;
    if (!(sealed instanceof Uint8Array) || sealed.length < head + MAC_BYTES || !MAGIC.every((b, i) => sealed[i] === b)) throw fail('not a sealed value');
    const key = this.keyFor(context);
    const prefix = sealed.subarray(MAGIC.length, head);
    const body = sealed.length - head;
    const full = SEGMENT_BYTES + MAC_BYTES;
    // Every segment but the last is full; the last holds at least its MAC.
    const segments = Math.max(1, Math.ceil((body - MAC_BYTES) / full));
    const plainLength = body - segments * MAC_BYTES;
    if (plainLength < 0 || (segments > 1 && plainLength <= (segments - 1) * SEGMENT_BYTES)) throw fail('truncated');
    const out = new Uint8Array(plainLength);
    let pos = head;
    for (let i = 0; i < segments; i++) {
      const last = i === segments - 1;
      const size = last ? sealed.length - pos : full;
      const part = nacl.secretbox.open(sealed.subarray(pos, pos + size), segmentNonce(prefix, i, last), key);
      if (part === null) throw fail('authentication failed (wrong key, or the value was altered or moved)');
      out.set(part, i * SEGMENT_BYTES);
      pos += size;
    }
    return out;
  }
}

/**
 * Reads a master key: 64 hex digits, or the base64 of 32 bytes (surrounding whitespace ignored).
 * @throws FedtuneError FT_ERR_CONFIG naming `source` when it is neither.
 */
export function parseAtRestKey(text: string, source: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return new Uint8Array(Buffer.from(t, 'hex'));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === AT_REST_KEY_BYTES) return new Uint8Array(bytes);
  }
  throw new FedtuneError('FT_ERR_CONFIG', `${source}: an at-rest key is 32 bytes as 64 hex digits or base64 (make one with \`fedtune-coordinator token new\` or \`openssl rand -hex 32\`)`);
}
