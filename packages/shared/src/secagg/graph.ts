// The SecAgg+ communication graph (Bell et al. 2020, "Secure Single-Server Aggregation with
// (Poly)Logarithmic Overhead", §3-4): a Harary graph H_{k,n} on a randomly shuffled ring, and the
// choice of degree k and threshold t from cohort size, dropout rate and corruption rate.
import type { RandomSource } from '../crypto/random.js';
import { assertId, assertInt, assertNumber } from './assert.js';
import { MAX_SHARES } from './shamir.js';

/** Cohorts up to this size always use the complete graph (Bonawitz et al. 2017 all-to-all). */
export const ALL_TO_ALL_MAX = 32;
/**
 * The most neighbours a node may have. Shamir over GF(65537) allows 65,535 shares; the bound is
 * what keeps one ShareKeys message (a sealed share per neighbour) inside one frame.
 */
export const MAX_DEGREE = Math.min(MAX_SHARES, 1024);

/** Neighbour lists, each sorted, symmetric, without self-loops. */
export type Neighbourhoods = ReadonlyMap<string, readonly string[]>;

/**
 * The Harary graph H_{k,n} (k even) over `ids`: the ids are shuffled onto a ring with `rng` and
 * each is joined to the k/2 nearest on either side. k >= n - 1 gives the complete graph.
 * @throws TypeError / RangeError for duplicate or bad ids, or k odd, < 2, or > MAX_DEGREE.
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

/** P[Bin(k, p) = i] for i = 0..k, from log C(k, i) accumulated term by term (no overflow). */
function binomialPmf(k: number, p: number): Float64Array {
  const out = new Float64Array(k + 1);
  if (p === 0 || p === 1) {
    out[p === 0 ? 0 : k] = 1;
    return out;
  }
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let lc = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) lc += Math.log(k - i + 1) - Math.log(i);
    out[i] = Math.exp(lc + i * lp + (k - i) * lq);
  }
  return out;
}

/** upper[m] = P[Bin(k, p) >= m] for m = 0..k+1 (summed from the small end of the tail). */
function upperTails(k: number, p: number): Float64Array {
  const pmf = binomialPmf(k, p);
  const upper = new Float64Array(k + 2);
  for (let m = k; m >= 0; m--) upper[m] = Math.min(1, upper[m + 1]! + pmf[m]!);
  return upper;
}

/** lower[m] = P[Bin(k, p) < m] for m = 0..k+1. */
function lowerTails(k: number, p: number): Float64Array {
  const pmf = binomialPmf(k, p);
  const lower = new Float64Array(k + 2);
  for (let m = 1; m <= k + 1; m++) lower[m] = Math.min(1, lower[m - 1]! + pmf[m - 1]!);
  return lower;
}

/** P[Bin(k, p) >= m]. */
export function binomialUpperTail(k: number, p: number, m: number): number {
  if (m <= 0) return 1;
  if (m > k) return 0;
  return upperTails(k, p)[m]!;
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
   * Threat model. false (default): the coordinator may lie about who dropped, telling some of a
   * node's neighbours it survived and the others it dropped; each honest neighbour reveals one kind
   * of share, so the node's two secrets leak only once c >= 2t - k of its neighbours collude, and
   * t > k/2. true (an explicit opt-in): the coordinator is trusted to report dropouts truly
   * (honest-but-curious), so a node leaks only if t of its neighbours are corrupt, and t may sit
   * at k/2 or below.
   */
  trustDropoutReports?: boolean;
}

export interface GraphParams {
  /** Degree: each node's number of neighbours (n - 1 when allToAll). */
  readonly k: number;
  /** Shamir threshold: k/2 < t <= k, unless dropout reports are trusted. */
  readonly t: number;
  readonly allToAll: boolean;
  /** log2 of the union bound on the chance the coordinator can rebuild a node's secrets. */
  readonly log2LeakBound: number;
  /** log2 of the union bound on the chance some node has fewer than t live neighbours. */
  readonly log2AbortBound: number;
}

/**
 * The smallest threshold a node accepts for k neighbours. By default t > k/2: a coordinator that
 * lies about who dropped cannot collect t shares of both kinds (the self-mask seed's from
 * neighbours told "survived", the mask key's from those told "dropped") from the two halves of an
 * honest neighbourhood, because no honest node reveals both for one owner. Only when the node
 * trusts the coordinator's dropout reports (honest-but-curious: it never asks for both) is t >= 2
 * enough (one share alone never reveals a secret; Bonawitz et al. 2017 §6.2 need only t above the
 * colluding nodes). A complete graph of two nodes (k = 1) takes t = 1.
 */
export function minThreshold(k: number, trustDropoutReports: boolean): number {
  return trustDropoutReports ? Math.min(2, k) : Math.floor(k / 2) + 1;
}

function bounds(n: number, k: number, t: number, delta: number, gamma: number, trust: boolean): { leak: number; abort: number } {
  // Leak, honest-but-curious: the coordinator learns a node's secret only from t corrupt neighbours.
  // Leak, lying coordinator: honest neighbours each reveal one kind of share, so t of both kinds
  // needs c + (k - c) >= 2t - c corrupt ones, i.e. c >= 2t - k.
  const leak = n * upperTails(k, gamma)[Math.max(0, Math.min(k + 1, trust ? t : 2 * t - k))]!;
  // Abort: a node needs t of its k neighbours alive at Unmask.
  const abort = n * lowerTails(k, 1 - delta)[t]!;
  return { leak: Math.log2(Math.max(leak, Number.MIN_VALUE)), abort: Math.log2(Math.max(abort, Number.MIN_VALUE)) };
}

/**
 * Chooses degree k and threshold t. Above {@link ALL_TO_ALL_MAX} it takes the smallest even k for
 * which some t in [{@link minThreshold}(k, trust), k] has n * P[Bin(k, gamma) >= 2t - k] (trusted
 * dropout reports: >= t) <= 2^-securityBits and n * P[Bin(k, 1 - delta) < t] <= 2^-correctnessBits
 * (union bounds over nodes, after Bell et al. 2020 §4), and the smallest such t (the most
 * dropout-tolerant). With trusted dropout reports t may be k/2 or less, as in the semi-honest
 * parameters of Bell et al. and of Google's SecAgg+ graph-parameter finder
 * (fcp/secagg/server/graph_parameter_finder.cc: t just above the adversarial neighbours); by
 * default t > k/2. Small cohorts, or when no such k < n - 1 exists, use the complete graph with the
 * deterministic threshold that ceil(gamma * n) colluders can never reach: t = floor((k +
 * colluders) / 2) + 1 (the coordinator plus the colluders can never hold t shares of both kinds for
 * one node), or with trusted dropout reports t = max(floor(k/2) + 1, colluders + 1). The log2
 * bounds then are the binomial estimates only, for comparison.
 * @throws TypeError / RangeError for bad options, or when no k <= MAX_DEGREE meets the bounds and
 * the cohort is too large for the complete graph, or when the deterministic threshold would exceed n - 1.
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
  const trust = options.trustDropoutReports ?? false;
  if (typeof trust !== 'boolean') throw new TypeError('trustDropoutReports must be a boolean');
  if (n > ALL_TO_ALL_MAX) {
    for (let k = 2; k < Math.min(n - 1, MAX_DEGREE + 1); k += 2) {
      const upper = upperTails(k, gamma);
      const lower = lowerTails(k, 1 - delta);
      for (let t = minThreshold(k, trust); t <= k; t++) {
        const leak = Math.log2(Math.max(n * upper[Math.max(0, trust ? t : 2 * t - k)]!, Number.MIN_VALUE));
        if (leak > -sigma) continue;
        const abort = Math.log2(Math.max(n * lower[t]!, Number.MIN_VALUE));
        if (abort <= -eta) return { k, t, allToAll: false, log2LeakBound: leak, log2AbortBound: abort };
        break; // larger t only raises the abort bound
      }
    }
  }
  const k = n - 1;
  if (k > MAX_DEGREE) throw new RangeError(`no degree k <= ${MAX_DEGREE} meets the bounds for n = ${n}, dropout ${delta}, corruption ${gamma}`);
  const colluders = Math.ceil(gamma * n);
  const t = trust ? Math.max(Math.floor(k / 2) + 1, colluders + 1) : Math.floor((k + colluders) / 2) + 1;
  if (t > k) throw new RangeError(`cohort of ${n} cannot tolerate ${colluders} colluders: threshold ${t} exceeds ${k} neighbours`);
  const b = bounds(n, k, t, delta, gamma, trust);
  return { k, t, allToAll: true, log2LeakBound: b.leak, log2AbortBound: b.abort };
}
