// Issue 15, item 1: central DP leaves no fingerprint in the released float32 model.
//
// The adversary is the standard distinguishing one: it knows the global model, the mechanism and
// its public parameters (sigma, the count, the grid, the denominator) and every other node's
// update, and must tell which of two candidate updates the target node sent. The candidates are
// almost equal (they differ by 0.37 of the old noise grid per coordinate, about 1e-3 sigma in
// norm), so the noise itself hides the difference: any adversary that wins beats the mechanism's
// arithmetic, not its noise. Its test is exact consistency: for each candidate it inverts the
// public post-processing coordinate by coordinate, asks whether some point of the noise lattice
// reproduces the received float32 bit for bit, and prefers the candidate that explains more
// coordinates, then the more likely noise (a likelihood-ratio test), then a coin.
//
// Budget: 1,000 trials, one round each, over a real coordinator and real sockets; the weights are
// the model version as the target node receives it. Statistic: two-sided exact binomial test of
// the adversary's wins against chance (p = 1/2), at level 1e-4.
//
// How it failed before: run against the release of DpStrategy before issue 15 (copied below as
// `oldRelease`: discrete Gaussian noise on the grid sigma/1024 added to the float sum), the same
// adversary wins 1,000 of 1,000 trials (20 of 20 in the review); the new release must be at chance.
import { describe, expect, it } from 'vitest';
import { clipL2, gaussianNoiseOnGrid, nodeCryptoProvider, seededRandom, type Weights } from '@fedtune/shared';
import { centralGranularity } from '../packages/coordinator/src/dp/central-grid.js';
import { binomialTwoSidedP } from './helpers/binomial.js';
import { FixedStepTrainer } from './helpers/fixed-step-trainer.js';
import { startClients, startCoordinator } from './helpers/fleet.js';

const TRIALS = 1000;
const D = 16;
const CLIP = 1;
const Z = 1;
const NODES = 3;

/** The delta a node sends for step `s` from weights `w`: as FederatedClient computes and clips it, in float32. */
function sentDelta(w: Float32Array, s: Float32Array): Float32Array {
  const local = new Float32Array(D);
  for (let i = 0; i < D; i++) local[i] = w[i]! + s[i]!;
  const delta = new Float32Array(D);
  for (let i = 0; i < D; i++) delta[i] = local[i]! - w[i]!;
  return clipL2(delta, CLIP).clipped;
}

/**
 * DpStrategy's central release before issue 15 (commit 68aea1f, dp-strategy.ts aggregateFit and
 * the FedAvg step after it), kept here to show the attack wins against it: PlainAggregator's
 * uniform float32 mean, noise on the grid sigma/1024 added to mean * count, divided by the count.
 */
function oldRelease(global: Float32Array, deltas: readonly Float32Array[], random: ReturnType<typeof seededRandom>): Float32Array {
  const sum = new Float64Array(D);
  for (const d of deltas) for (let i = 0; i < D; i++) sum[i] = sum[i]! + d[i]!;
  const meanDelta = new Float32Array(D);
  for (let i = 0; i < D; i++) meanDelta[i] = sum[i]! / deltas.length;
  const sigma = Z * CLIP;
  const noise = gaussianNoiseOnGrid(random, sigma, sigma / 1024, D);
  const mean = new Float32Array(D);
  for (let i = 0; i < D; i++) mean[i] = (meanDelta[i]! * deltas.length + noise[i]!) / deltas.length;
  const out = new Float32Array(D);
  for (let i = 0; i < D; i++) out[i] = global[i]! + mean[i]!;
  return out;
}

/**
 * The public post-processing of a mechanism, for the adversary: the released coordinate i for
 * noise lattice point k, and the point k closest to explaining `released`.
 */
interface MechanismModel {
  released(i: number, k: number): number;
  nearest(i: number, released: number): number;
}

function oldModel(global: Float32Array, deltas: readonly Float32Array[]): MechanismModel {
  const n = deltas.length;
  const g = (Z * CLIP) / 1024;
  const base = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = 0;
    for (const d of deltas) s += d[i]!;
    base[i] = Math.fround(s / n) * n;
  }
  return {
    released: (i, k) => Math.fround(global[i]! + Math.fround((base[i]! + k * g) / n)),
    nearest: (i, r) => Math.round(((r - global[i]!) * n - base[i]!) / g),
  };
}

function newModel(global: Float32Array, deltas: readonly Float32Array[], denominator: number): MechanismModel {
  const g = centralGranularity(CLIP, D);
  const units = new Float64Array(D);
  for (const d of deltas) for (let i = 0; i < D; i++) units[i] = units[i]! + Math.round(d[i]! / g);
  return {
    released: (i, k) => Math.fround(global[i]! + Math.fround((units[i]! + k) * (g / denominator))),
    nearest: (i, r) => Math.round(((r - global[i]!) * denominator) / g - units[i]!),
  };
}

/** The adversary's guess (0 or 1) of which candidate explains `released`. */
function guess(models: [MechanismModel, MechanismModel], released: Float32Array, coin: () => number): number {
  const score = models.map((m) => {
    let explained = 0;
    let energy = 0;
    for (let i = 0; i < D; i++) {
      const k0 = m.nearest(i, released[i]!);
      for (let k = k0 - 3; k <= k0 + 3; k++) {
        if (m.released(i, k) === released[i]) {
          explained++;
          energy += k * k;
          break;
        }
      }
    }
    return { explained, energy };
  });
  const [a, b] = score as [{ explained: number; energy: number }, { explained: number; energy: number }];
  if (a.explained !== b.explained) return a.explained > b.explained ? 0 : 1;
  if (a.energy !== b.energy) return a.energy < b.energy ? 0 : 1;
  return coin();
}

describe('central DP release against the distinguishing adversary (issue 15, item 1)', () => {
  it('the adversary is at chance on the released float32 model over 1,000 rounds, and wins against the old release', async () => {
    const rng = seededRandom(nodeCryptoProvider, 'item1-adversary');
    const gauss = () => {
      const u = rng.float() || 1e-12;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
    };
    const vec = (scale: number) => Float32Array.from({ length: D }, () => Math.fround(scale * gauss()));
    // Two candidates 0.37 old-grid steps apart per coordinate; the others' steps are fixed and known.
    const x0 = vec(0.1);
    const x1 = x0.map((v) => Math.fround(v + 0.37 * ((Z * CLIP) / 1024)));
    const others = [vec(0.1), vec(0.1)];
    const bits: number[] = [];
    const target = new FixedStepTrainer(D, () => {
      const b = rng.int(2);
      bits.push(b);
      return b === 0 ? x0 : x1;
    });
    const nodes = [target, ...others.map((s) => new FixedStepTrainer(D, () => s))];
    const initial: Weights = { tensors: [{ name: 'w', shape: [D] }], data: vec(0.3) };
    const { coordinator, url } = await startCoordinator(
      {
        rounds: TRIALS + 1,
        minNodes: NODES,
        minResults: NODES,
        selection: { kind: 'uniform', clientsPerRound: NODES, overSelection: 0 },
        evaluateEvery: 0,
        dp: { mode: 'central', clip: CLIP, noiseMultiplier: Z, delta: 1e-5 },
      },
      initial,
    );
    await startClients(url, nodes);
    const stored: Float32Array[] = [];
    const summaries = await coordinator.run(() => stored.push(coordinator.store.current!.weights.data.slice()));
    expect(summaries.filter((s) => s.status === 'completed')).toHaveLength(TRIALS + 1);
    // Every round took all three nodes (q = 3/3), so the fixed denominator qN is 3.
    expect(summaries.every((s) => s.selected === NODES && s.survivors === NODES)).toBe(true);
    // Trial r: the weights the target received at round r, the step it took, the release it received at r + 1.
    expect(target.received.length).toBe(TRIALS + 1);
    const oldRandom = seededRandom(nodeCryptoProvider, 'item1-old-noise');
    let winsNew = 0;
    let winsOld = 0;
    for (let r = 0; r < TRIALS; r++) {
      const w = target.received[r]!;
      const released = target.received[r + 1]!;
      const otherDeltas = others.map((s) => sentDelta(w, s));
      const candidates = [x0, x1].map((x) => [sentDelta(w, x), ...otherDeltas]) as [Float32Array[], Float32Array[]];
      const b = bits[r]!;
      if (guess([newModel(w, candidates[0], NODES), newModel(w, candidates[1], NODES)], released, () => rng.int(2)) === b) winsNew++;
      // The same trial through the old release, the same adversary.
      const oldReleased = oldRelease(w, candidates[b]!, oldRandom);
      if (guess([oldModel(w, candidates[0]), oldModel(w, candidates[1])], oldReleased, () => rng.int(2)) === b) winsOld++;
    }
    const pNew = binomialTwoSidedP(TRIALS, winsNew, 0.5);
    const pOld = binomialTwoSidedP(TRIALS, winsOld, 0.5);
    // Old: the float offset of the sum survives the noise; the adversary is right (almost) always.
    expect(winsOld, `old release: ${winsOld}/${TRIALS}`).toBeGreaterThan(990);
    expect(pOld).toBeLessThan(1e-100);
    // New: every candidate explains every coordinate; what is left is the noise, at chance.
    expect(pNew, `new release: ${winsNew}/${TRIALS} wins, two-sided p = ${pNew}`).toBeGreaterThan(1e-4);
    // What the node received is, bit for bit, the model version the coordinator stored.
    for (let r = 0; r < TRIALS; r++) expect(Buffer.from(target.received[r + 1]!.buffer).equals(Buffer.from(stored[r]!.buffer))).toBe(true);
  }, 300_000);
});
