// The coordinator's running masked sum (Bonawitz et al. 2017 §4, round 2) in WebAssembly memory,
// added with WebAssembly SIMD (i32x4.add: four 32-bit lanes per instruction), so a masked vector
// is added at about memory speed instead of a scalar JS loop's quarter of it. Lanes wrap mod 2^32;
// since 2^b divides 2^32 the reduction mod 2^b waits until read-out (decodeFromRing and
// unmaskRange both reduce). Falls back to the JS loop where WebAssembly SIMD is missing. The
// memory is shared (a SharedArrayBuffer) where the runtime allows, so worker threads can remove
// masks from the sum in place.
import { addWordsInto, subWordsInto } from './word-ops.js';

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const vector = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...new TextEncoder().encode(s)];

const I32 = 0x7f;
const [LOCAL_GET, LOCAL_SET, I32_CONST, I32_ADD, I32_GE_U, BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x20, 0x21, 0x41, 0x6a, 0x4f, 0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
const load = (offset: number) => [0xfd, 0x00, 4, ...leb(offset)]; // memarg: align 2^4, offset
const store = (offset: number) => [0xfd, 0x0b, 4, ...leb(offset)];
const I32X4_ADD = [0xfd, ...leb(174)];
const I32X4_SUB = [0xfd, ...leb(177)];
const SIXTY_FOUR = [0xc0, 0x00]; // i32.const takes signed LEB128: 64 needs two bytes

/**
 * (module (import "env" "mem" (memory 1))
 *   (func (export "add") (param $dst i32) (param $src i32) (param $bytes i32) (local $end i32)
 *     end = dst + bytes; while (dst < end) { four times, at o = 0, 16, 32, 48:
 *       v128[dst + o] = i32x4.add(v128[dst + o], v128[src + o]); dst += 64; src += 64 })
 *   (func (export "sub") ... the same with i32x4.sub))
 * `bytes` must be a multiple of 64 (the loop is unrolled four v128s deep).
 */
function assemble(shared: boolean): Uint8Array {
  const [dst, src, bytes, end] = [0, 1, 2, 3];
  const body = (op: number[]) => [
    ...vector([[1, I32]]),
    LOCAL_GET, dst, LOCAL_GET, bytes, I32_ADD, LOCAL_SET, end,
    BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, dst, LOCAL_GET, end, I32_GE_U, BR_IF, 1,
    ...[0, 16, 32, 48].flatMap((o) => [LOCAL_GET, dst, LOCAL_GET, dst, ...load(o), LOCAL_GET, src, ...load(o), ...op, ...store(o)]),
    LOCAL_GET, dst, I32_CONST, ...SIXTY_FOUR, I32_ADD, LOCAL_SET, dst,
    LOCAL_GET, src, I32_CONST, ...SIXTY_FOUR, I32_ADD, LOCAL_SET, src,
    BR, 0, END, END, END,
  ];
  const code = (b: number[]) => [...leb(b.length), ...b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32]]), 0]])), // type: (i32 i32 i32) -> ()
    // import memory: min 1 page; a shared memory must declare a maximum (the whole 32-bit space)
    ...section(2, vector([[...name('env'), ...name('mem'), 0x02, ...(shared ? [0x03, 1, ...leb(65_536)] : [0x00, 1])]])),
    ...section(3, vector([[0], [0]])), // two functions of type 0
    ...section(7, vector([[...name('add'), 0x00, 0], [...name('sub'), 0x00, 1]])), // export both
    ...section(10, vector([code(body(I32X4_ADD)), code(body(I32X4_SUB))])),
  ]);
}

/** The few WebAssembly JS API members used here (ES2022's lib does not declare them). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The SIMD module for a shared or a plain memory, or null where the runtime refuses it. */
const modules = new Map<boolean, object | null>();
function simdModule(shared: boolean): object | null {
  let mod = modules.get(shared);
  if (mod === undefined) {
    const bytes = assemble(shared);
    mod = null;
    try {
      if (wasm !== undefined && wasm.validate(bytes)) {
        mod = new wasm.Module(bytes);
        if (shared) new wasm.Memory({ initial: 1, maximum: 1, shared: true }); // threads may be off
      }
    } catch {
      mod = null;
    }
    modules.set(shared, mod);
  }
  return mod;
}

/** Whether this runtime has WebAssembly SIMD (otherwise the accumulator uses the JS loop). */
export function ringSimdAvailable(): boolean {
  return simdModule(false) !== null;
}

const hasSharedMemory = typeof SharedArrayBuffer === 'function';

const PAGE = 65_536;
/** Words copied into the scratch per SIMD add in {@link RingAccumulator.add}: 16 KiB, half a typical L1d. */
const COPY_BLOCK = 4096;
const align16 = (n: number) => Math.ceil(n / 16) * 16;

type SimdOp = (dst: number, src: number, bytes: number) => void;

export class RingAccumulator {
  /** The running sum (mod 2^32 until read-out reduces it mod 2^bits); in shared memory where the runtime has it. */
  readonly sum: Uint32Array;
  private readonly scratch: Uint32Array | null;
  private readonly simd: { add: SimdOp; sub: SimdOp } | null;

  /**
   * @param length elements in the sum; @param maxChunk the longest vector ever added at once.
   * @throws RangeError for a length or chunk size that is not a positive safe integer.
   */
  constructor(length: number, maxChunk: number, useSimd = true) {
    for (const [k, v] of [['length', length], ['maxChunk', maxChunk]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
    }
    const shared = useSimd && simdModule(true) !== null;
    const mod = useSimd ? simdModule(shared) : null;
    if (mod === null) {
      this.sum = new Uint32Array(hasSharedMemory ? new SharedArrayBuffer(4 * length) : new ArrayBuffer(4 * length));
      this.scratch = null;
      this.simd = null;
      return;
    }
    const sumBytes = align16(4 * length);
    const pages = Math.ceil((sumBytes + align16(4 * maxChunk)) / PAGE);
    const memory = new wasm!.Memory(shared ? { initial: pages, maximum: pages, shared } : { initial: pages });
    const instance = new wasm!.Instance(mod, { env: { mem: memory } });
    // The memory never grows after this, so these views stay attached.
    this.sum = new Uint32Array(memory.buffer, 0, length);
    this.scratch = new Uint32Array(memory.buffer, sumBytes, maxChunk);
    this.simd = { add: instance.exports.add as SimdOp, sub: instance.exports.sub as SimdOp };
  }

  /**
   * Where a decoder or a keystream may write a chunk in place (WebAssembly memory): {@link add}
   * and {@link subtract} of a view that starts there skip their copy. Null without SIMD.
   */
  scratchView(length: number): Uint32Array | null {
    return this.scratch === null ? null : this.scratch.subarray(0, length);
  }

  /** Adds the first `length` scratch elements at `offset`. @throws RangeError as {@link add}, or without SIMD. */
  addFromScratch(length: number, offset: number): void {
    this.fromScratch(length, offset, 1);
  }

  /** sum[offset + i] += chunk[i] (mod 2^32). @throws RangeError when the chunk overruns the sum or the scratch. */
  add(chunk: Uint32Array, offset: number): void {
    this.apply(chunk, offset, 1);
  }

  /** sum[offset + i] -= chunk[i] (mod 2^32). @throws RangeError as {@link add}. */
  subtract(chunk: Uint32Array, offset: number): void {
    this.apply(chunk, offset, -1);
  }

  private apply(chunk: Uint32Array, offset: number, sign: 1 | -1): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + chunk.length > this.sum.length) {
      throw new RangeError(`chunk of ${chunk.length} at offset ${offset} overruns the sum of ${this.sum.length}`);
    }
    if (this.simd === null || this.scratch === null) {
      (sign === 1 ? addWordsInto : subWordsInto)(this.sum, offset, chunk, 32);
      return;
    }
    if (chunk.length > this.scratch.length) throw new RangeError(`chunk of ${chunk.length} exceeds the accumulator's ${this.scratch.length}`);
    // Written in place by a decoder or a keystream: already where the SIMD loop reads.
    if (chunk.buffer === this.scratch.buffer && chunk.byteOffset === this.scratch.byteOffset) return this.fromScratch(chunk.length, offset, sign);
    // Copy and add a cache-sized block at a time, so the copied words are still in L1 when the
    // SIMD loop reads them (one pass over the whole chunk would go out to L2/L3 and back).
    for (let s = 0; s < chunk.length; s += COPY_BLOCK) {
      const part = chunk.subarray(s, s + COPY_BLOCK);
      this.scratch.set(part);
      this.fromScratch(part.length, offset + s, sign);
    }
  }

  private fromScratch(length: number, offset: number, sign: 1 | -1): void {
    if (this.simd === null || this.scratch === null) throw new RangeError('no SIMD scratch: use add()');
    if (!Number.isSafeInteger(length) || length < 0 || length > this.scratch.length) throw new RangeError(`length ${length} outside the scratch of ${this.scratch.length}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.sum.length) throw new RangeError(`${length} at offset ${offset} overruns the sum of ${this.sum.length}`);
    const lanes = length - (length % 16);
    (sign === 1 ? this.simd.add : this.simd.sub)(this.sum.byteOffset + 4 * offset, this.scratch.byteOffset, 4 * lanes);
    const { sum, scratch } = this;
    for (let i = lanes; i < length; i++) sum[offset + i] = (sum[offset + i]! + sign * scratch[i]!) >>> 0;
  }
}
