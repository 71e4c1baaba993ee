// Exact binomial tests for the adversarial privacy tests: how surprising k successes in n trials
// are under success probability p.

/** log C(n, k) by summing logs (exact enough for n up to a few thousand). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** P[Bin(n, p) = k]. */
export function binomialPmf(n: number, k: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Two-sided exact binomial test (the "minlike" p-value R's binom.test and SciPy's binomtest
 * report): the probability, under Bin(n, p), of an outcome no more likely than k.
 */
export function binomialTwoSidedP(n: number, k: number, p: number): number {
  const observed = binomialPmf(n, k, p);
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const q = binomialPmf(n, i, p);
    // Relative slack as in R, so outcomes exactly as likely as k are counted despite rounding.
    if (q <= observed * (1 + 1e-7)) total += q;
  }
  return Math.min(1, total);
}
