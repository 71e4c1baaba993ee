// Partitioners that split one dataset across simulated nodes: IID, and label skew drawn from a
// Dirichlet, following Hsu, Qi, Brown 2019 ("Measuring the effects of non-identical data
// distribution"): node i's class mix q_i ~ Dir(alpha * C * p), p the global class prior over C
// classes; scaled by C so that with balanced classes each component is alpha, the convention of
// most FL benchmarks ("dirichlet:0.5").
import { permutation, sampleDirichlet, type RandomSource } from '@fedtune/shared';

/** Equal-sized random shards. */
export function partitionIid(rows: number, nodes: number, random: RandomSource): number[][] {
  const perm = permutation(rows, random);
  const out: number[][] = Array.from({ length: nodes }, () => []);
  perm.forEach((row, i) => out[i % nodes]!.push(row));
  return out;
}

/**
 * Equal-sized shards whose label mixes follow Dir(alpha * p). Rows are drawn without replacement;
 * when a class runs out, the node's mix is renormalised over the classes left.
 * @throws RangeError for alpha <= 0 or more nodes than rows.
 */
export function partitionDirichlet(labels: Int32Array, numClasses: number, nodes: number, alpha: number, random: RandomSource): number[][] {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`dirichlet alpha must be > 0, got ${alpha}`);
  if (nodes > labels.length) throw new RangeError(`${nodes} nodes > ${labels.length} rows`);
  const pools: number[][] = Array.from({ length: numClasses }, () => []);
  for (const row of permutation(labels.length, random)) pools[labels[row]!]!.push(row);
  const prior = pools.map((p) => p.length / labels.length);
  const perNode = Math.floor(labels.length / nodes);
  const out: number[][] = [];
  for (let i = 0; i < nodes; i++) {
    const mix = sampleDirichlet(
      random,
      prior.map((p) => Math.max(alpha * p * numClasses, 1e-3)),
    );
    const shard: number[] = [];
    while (shard.length < perNode) {
      const weights = mix.map((m, c) => (pools[c]!.length > 0 ? m : 0));
      let total = weights.reduce((s, w) => s + w, 0);
      if (total === 0) {
        // This node's classes are exhausted: fall back to whatever is left, proportionally.
        weights.forEach((_, c) => (weights[c] = pools[c]!.length));
        total = weights.reduce((s, w) => s + w, 0);
      }
      let u = random.float() * total;
      let c = 0;
      while (c < numClasses - 1 && (u -= weights[c]!) >= 0) c++;
      while (pools[c]!.length === 0) c = (c + 1) % numClasses;
      shard.push(pools[c]!.pop()!);
    }
    out.push(shard);
  }
  return out;
}
