// Adaptive federated optimisers of Reddi et al. 2021 ("Adaptive Federated Optimization",
// Algorithm 2): the mean delta is a pseudo-gradient fed to Adam, Yogi or Adagrad on the server.
//   m <- b1 m + (1 - b1) d
//   Adagrad: v <- v + d^2;  Adam: v <- b2 v + (1 - b2) d^2;  Yogi: v <- v - (1 - b2) d^2 sign(v - d^2)
//   w <- w + eta m / (sqrt(v) + tau)
// No bias correction, as in the paper; v starts at tau^2 (the paper's v_{-1} >= tau^2).
import { FedAvg } from './fedavg.js';
import { packFloats, unpackFloats, type FitAggregate } from './strategy.js';

export type AdaptiveRule = 'adam' | 'yogi' | 'adagrad';

export interface FedAdaptiveOptions {
  /** Server learning rate eta. */
  serverLearningRate?: number;
  beta1?: number;
  beta2?: number;
  /** Adaptivity tau: the smaller, the more adaptive. */
  tau?: number;
}

/** Defaults as in Flower's FedAdam / FedYogi / FedAdagrad, drawn from the paper's sweeps. */
const DEFAULTS: Record<AdaptiveRule, Required<FedAdaptiveOptions>> = {
  adam: { serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 },
  yogi: { serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
  adagrad: { serverLearningRate: 0.1, beta1: 0, beta2: 0, tau: 1e-9 },
};

export class FedAdaptive extends FedAvg {
  override readonly name: string;
  private readonly b1: number;
  private readonly b2: number;
  private readonly tau: number;
  private m: Float32Array | null = null;
  private v: Float32Array | null = null;

  constructor(
    private readonly rule: AdaptiveRule,
    options: FedAdaptiveOptions = {},
  ) {
    const o = { ...DEFAULTS[rule], ...options };
    super({ serverLearningRate: o.serverLearningRate });
    this.name = `fed${rule}`;
    this.b1 = o.beta1;
    this.b2 = o.beta2;
    this.tau = o.tau;
    if (!(this.b1 >= 0 && this.b1 < 1)) throw new RangeError(`beta1 must be in [0, 1), got ${this.b1}`);
    if (!(this.b2 >= 0 && this.b2 < 1)) throw new RangeError(`beta2 must be in [0, 1), got ${this.b2}`);
    if (!(this.tau > 0)) throw new RangeError(`tau must be > 0, got ${this.tau}`);
  }

  override aggregateFit(_round: number, global: Float32Array, aggregate: FitAggregate): Float32Array {
    const d = aggregate.meanDelta;
    const n = global.length;
    const m = this.m ?? new Float32Array(n);
    const v = this.v ?? new Float32Array(n).fill(this.tau * this.tau);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const di = d[i]!;
      const d2 = di * di;
      m[i] = this.b1 * m[i]! + (1 - this.b1) * di;
      const vi = v[i]!;
      if (this.rule === 'adagrad') v[i] = vi + d2;
      else if (this.rule === 'adam') v[i] = this.b2 * vi + (1 - this.b2) * d2;
      else v[i] = vi - (1 - this.b2) * d2 * Math.sign(vi - d2);
      out[i] = global[i]! + (this.eta * m[i]!) / (Math.sqrt(v[i]!) + this.tau);
    }
    this.m = m;
    this.v = v;
    return out;
  }

  saveState(): unknown {
    return { m: packFloats(this.m), v: packFloats(this.v) };
  }

  loadState(state: unknown): void {
    const st = state as { m?: unknown; v?: unknown };
    this.m = unpackFloats(st.m);
    this.v = unpackFloats(st.v);
  }
}
