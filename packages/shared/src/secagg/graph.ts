// The SecAgg+ communication graph (Bell et al. 2020, "Secure Single-Server Aggregation with
// (Poly)Logarithmic Overhead", §3-4): a Harary graph H_{k,n} on a randomly shuffled ring, and the
// choice of degree k and threshold t from cohort size, dropout rate and corruption rate.
import type { RandomSource } from '../crypto/random.js';
import { assertId, assertInt, assertNumber } from './assert.js';
import { MAX_SHARES } from './shamir.js';

/** Cohorts up to this size always use the complete graph (Bonawitz et al. 2017 all-to-all). */
export const ALL_TO_ALL_MAX = 32;
/** The most neighbours a node may have: each neighbour holds one GF(2^8) share (x in 1..255). */
export const MAX_DEGREE = MAX_SHARES;

/** Neighbour lists, each sorted, symmetric, without self-loops. */
export type Neighbourhoods = ReadonlyMap<string, readonly string[]>;

/**
 * The Harary graph H_{k,n} (k even) over `ids`: the ids are shuffled onto a ring with `rng` and
 * each is joined to the k/2 nearest on either side. k >= n - 1 gives the complete graph.
 * @throws TypeError / RangeError for duplicate or bad ids, or k odd, < 2, or > 255.
 */
export function hararyGraph(ids: readonly string[], k: number, rng: RandomSource): Neighbourhoods {
  if (!Array.isArray(ids)) throw new TypeError('ids must be an array of strings');
  ids.forEach((id, i) => assertId(`ids[${i}]`, id));
  if (new Set(ids).size !== ids.length) throw new RangeError('ids contain a duplicate');
  const n = ids.length;
  assertInt('k', k, 1, MAX_DEGREE);
  const out = new Map<string, string[]>();
  if (k >= n - 1) {
    for (const id of ids) out.set(id, ids.filter((o) => o !== id).sort());
    return out;
  }
  if (k % 2 !== 0) throw new RangeError(`k must be even below n - 1, got ${k}`);
  const ring = [...ids];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ring[i], ring[j]] = [ring[j]!, ring[i]!];
  }
  const half = k / 2;
  for (let p = 0; p < n; p++) {
    const nb: string[] = [];
    for (let d = 1; d <= half; d++) nb.push(ring[(p + d) % n]!, ring[(p - d + n) % n]!);
    out.set(ring[p]!, nb.sort());
  }
  return out;
}

/** Given a graph as a plain record (e.g. decoded from the wire), checks symmetry and bounds. */
export function assertNeighbourhoods(graph: Neighbourhoods): void {
  if (!(graph instanceof Map)) throw new TypeError('graph must be a Map of id to neighbour ids');
  for (const [id, nb] of graph) {
    assertId('graph id', id);
    if (nb.length > MAX_DEGREE) throw new RangeError(`${id} has ${nb.length} neighbours, more than ${MAX_DEGREE}`);
    if (new Set(nb).size !== nb.length || nb.includes(id)) throw new RangeError(`neighbours of ${id} repeat or include itself`);
    for (const v of nb) if (!graph.get(v)?.includes(id)) throw new RangeError(`graph is not symmetric at ${id} - ${v}`);
  }
}

// log of C(k, i) p^i (1-p)^(k-i), summed in log space for the tails below.
function logBinomPmf(k: number, i: number, p: number): number {
  if (p === 0) return i === 0 ? 0 : -Infinity;
  if (p === 1) return i === k ? 0 : -Infinity;
  let lc = 0;
  for (let j = 1; j <= i; j++) lc += Math.log(k - i + j) - Math.log(j);
  return lc + i * Math.log(p) + (k - i) * Math.log1p(-p);
}

/** P[Bin(k, p) >= m]. */
export function binomialUpperTail(k: number, p: number, m: number): number {
  if (m <= 0) return 1;
  if (m > k) return 0;
  let s = 0;
  for (let i = m; i <= k; i++) s += Math.exp(logBinomPmf(k, i, p));
  return Math.min(1, s);
}

export interface GraphParamsOptions {
  /** Cohort size n (nodes that advertise keys). */
  n: number;
  /** Probability a node drops before unmasking (include nodes that may refuse to answer). */
  dropoutRate: number;
  /** Fraction of nodes that may collude with the coordinator. */
  corruptionRate: number;
  /** Statistical security: a leak has probability <= 2^-securityBits; default 40 (Bell et al.). */
  securityBits?: number;
  /** Correctness: an abort for want of live neighbours has probability <= 2^-correctnessBits; default 20. */
  correctnessBits?: number;
  /**
   * Threat model. false (default): honest-but-curious coordinator, which reports dropouts truly,
   * so a node leaks only if t of its neighbours are corrupt. true: a coordinator that may lie about
   * who dropped (active mode), so c corrupt neighbours suffice once c >= 2t - k.
   */
  activeMode?: boolean;
}

export interface GraphParams {
  /** Degree: each node's number of neighbours (n - 1 when allToAll). */
  readonly k: number;
  /** Shamir threshold, k/2 < t <= k. */
  readonly t: number;
  readonly allToAll: boolean;
  /** log2 of the union bound on the chance the coordinator can rebuild a node's secrets. */
  readonly log2LeakBound: number;
  /** log2 of the union bound on the chance some node has fewer than t live neighbours. */
  readonly log2AbortBound: number;
}

/**
 * The smallest threshold a node accepts for k neighbours. Active mode: t > k/2, so a coordinator
 * that lies about who dropped cannot collect t shares of both kinds from two halves of the
 * neighbours. Honest-but-curious: t >= 2 (one share alone never reveals a secret), since that
 * coordinator reports dropouts truly and never asks for both (Bonawitz et al. 2017 §6.2 needs only
 * t above the number of colluding nodes). A complete graph of two nodes (k = 1) takes t = 1.
 */
export function minThreshold(k: number, activeMode: boolean): number {
  return activeMode ? Math.floor(k / 2) + 1 : Math.min(2, k);
}

function bounds(n: number, k: number, t: number, delta: number, gamma: number, active: boolean): { leak: number; abort: number } {
  // Leak, honest-but-curious: the coordinator learns a node's secret only from t corrupt neighbours.
  // Leak, lying coordinator: honest neighbours each reveal one kind of share, so t of both kinds
  // needs c + (k - c) >= 2t - c corrupt ones, i.e. c >= 2t - k.
  const leak = n * binomialUpperTail(k, gamma, active ? 2 * t - k : t);
  // Abort: a node needs t of its k neighbours alive at Unmask.
  const abort = n * (1 - binomialUpperTail(k, 1 - delta, t));
  return { leak: Math.log2(Math.max(leak, Number.MIN_VALUE)), abort: Math.log2(Math.max(abort, Number.MIN_VALUE)) };
}

/**
 * Chooses degree k and threshold t. Above {@link ALL_TO_ALL_MAX} it takes the smallest even k for
 * which some t in [{@link minThreshold}(k, activeMode), k] has n * P[Bin(k, gamma) >= t] (active
 * mode: >= 2t - k) <= 2^-securityBits and n * P[Bin(k, 1 - delta) < t] <= 2^-correctnessBits (union
 * bounds over nodes, after Bell et al. 2020 §4), and the smallest such t (the most dropout-tolerant).
 * Honest-but-curious, t may be k/2 or less, as in the semi-honest parameters of Bell et al. and of
 * Google's SecAgg+ graph-parameter finder (fcp/secagg/server/graph_parameter_finder.cc: t just
 * above the adversarial neighbours); active mode keeps t > k/2. Small cohorts, or when no such
 * k < n - 1 exists, use the complete graph with the
 * deterministic threshold that ceil(gamma * n) colluders can never reach: t = max(floor(k/2) + 1,
 * colluders + 1), or in active mode t = floor((k + colluders) / 2) + 1 (the coordinator plus the
 * colluders can never hold t shares of both kinds for one node). The log2 bounds then are the
 * binomial estimates only, for comparison.
 * @throws TypeError / RangeError for bad options, or when no k <= 255 meets the bounds and the cohort
 * is too large for the complete graph, or when the deterministic threshold would exceed n - 1.
 */
export function chooseGraphParams(options: GraphParamsOptions): GraphParams {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  assertInt('n', options.n, 2, 1 << 24);
  assertNumber('dropoutRate', options.dropoutRate, 0, 0.99);
  assertNumber('corruptionRate', options.corruptionRate, 0, 0.5);
  const sigma = options.securityBits ?? 40;
  const eta = options.correctnessBits ?? 20;
  assertNumber('securityBits', sigma, 1, 256);
  assertNumber('correctnessBits', eta, 1, 256);
  const { n, dropoutRate: delta, corruptionRate: gamma } = options;
  const active = options.activeMode ?? false;
  if (typeof active !== 'boolean') throw new TypeError('activeMode must be a boolean');
  if (n > ALL_TO_ALL_MAX) {
    for (let k = 2; k < Math.min(n - 1, MAX_DEGREE + 1); k += 2) {
      for (let t = minThreshold(k, active); t <= k; t++) {
        const b = bounds(n, k, t, delta, gamma, active);
        if (b.leak > -sigma) continue;
        if (b.abort <= -eta) return { k, t, allToAll: false, log2LeakBound: b.leak, log2AbortBound: b.abort };
        break; // larger t only raises the abort bound
      }
    }
  }
  const k = n - 1;
  if (k > MAX_DEGREE) throw new RangeError(`no degree k <= ${MAX_DEGREE} meets the bounds for n = ${n}, dropout ${delta}, corruption ${gamma}`);
  const colluders = Math.ceil(gamma * n);
  const t = active ? Math.floor((k + colluders) / 2) + 1 : Math.max(Math.floor(k / 2) + 1, colluders + 1);
  if (t > k) throw new RangeError(`cohort of ${n} cannot tolerate ${colluders} colluders: threshold ${t} exceeds ${k} neighbours`);
  const b = bounds(n, k, t, delta, gamma, active);
  return { k, t, allToAll: true, log2LeakBound: b.leak, log2AbortBound: b.abort };
}
