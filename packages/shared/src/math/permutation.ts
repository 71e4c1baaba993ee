// A uniformly random order of 0..n-1 (Fisher-Yates), from a caller-supplied random source, for
// shuffling training batches and splitting data across simulated nodes.
import type { RandomSource } from '../crypto/random.js';

/** Shuffles 0..n-1 (Fisher-Yates). */
export function permutation(n: number, random: RandomSource): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
