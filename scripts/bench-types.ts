// The shape every benchmark file exports, so one runner (scripts/bench.ts) runs them all and a
// test runs each once on a tiny input; and the one timing helper they share.

export interface BenchFigure {
  /** What was measured, e.g. "mask expansion (m=1M)". */
  name: string;
  value: number;
  /** e.g. "MB/s", "ms", "ratio", "tokens/s". */
  unit: string;
  /** Target or context, e.g. ">= 0.8 of raw AES-CTR". */
  note?: string;
}

export interface BenchOptions {
  /** CI smoke mode: smallest inputs, one repetition; figures are not meaningful. */
  tiny: boolean;
}

/** Every packages/<pkg>/bench/<name>.bench.ts exports `bench` of this type. */
export type BenchFn = (options: BenchOptions) => Promise<BenchFigure[]>;

/** Wall time of one call of `f`, in ms. */
export function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}
