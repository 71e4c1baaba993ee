// The canary experiment: federated fine-tuning of gpt-tiny on synthetic patient notes, one node of
// which holds "François Dupont suffers from <secret>." many times; run without DP, with SecAgg +
// distributed DP (user-level) and with local DP-SGD (record-level, Abadi et al. 2016), then audit
// each final model: canary exposure (Carlini et al. 2019), whether greedy decoding completes the
// secret, and validation perplexity. Epsilon is what the run's accounting reports: the
// coordinator's ledger for the user-level arm (Poisson cohorts at the rate it charges), the
// nodes' attested DP-SGD epsilon for the record-level arm. Federated evaluation is off under DP
// (per-node losses would leak), so every arm's perplexity is measured here, at the nodes, on
// their held-out rows, the same way.
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { CANARY_DIGITS } from './lm/synthetic-notes.js';
import { createGptTinyWorkload } from './lm/gpt-tiny-workload.js';
import { runSimulation, type SimulationReport } from './simulation.js';
import { canaryExposure, type ExposureResult, lossThresholdAttack, perSequenceLosses, type MembershipResult, generate, type CausalLmTrainer, type DpCausalLmTrainer, ByteTokenizer } from '@fedtune/client';

export interface CanaryExperimentOptions {
  clients: number;
  rounds: number;
  /** Times the canary sentence appears in its node's data. */
  repeats: number;
  /** The DP arm's target epsilon over the run (distributed DP through SecAgg). */
  epsilon: number;
  delta: number;
  /** The local DP-SGD arm's noise multiplier z (default 1) and per-row clip C (default 1); each node reports its own epsilon. */
  localNoiseMultiplier?: number;
  localClip?: number;
  candidates: number;
  seed: string;
  backend?: string;
  onArm?: (name: string) => void;
}

export interface CanaryArm {
  name: string;
  report: SimulationReport;
  exposure: ExposureResult;
  /** What greedy decoding writes after the canary prefix. */
  completion: string;
  revealsSecret: boolean;
  finalPerplexity: number | null;
  /** Local DP-SGD arm: the epsilon each node's trainer spent over the run (at `delta`); else null. */
  nodeEpsilons: number[] | null;
  /** Loss-threshold membership inference on the canary node's training vs held-out rows (Yeom et al. 2018). */
  membership: MembershipResult;
  /** Epsilon at the end of the run as its accounting reports it (null without DP), at `delta`. */
  epsilon: number | null;
}

export interface CanaryExperimentResult {
  secret: string;
  arms: CanaryArm[];
}

export async function runCanaryExperiment(o: CanaryExperimentOptions): Promise<CanaryExperimentResult> {
  const arms: CanaryArm[] = [];
  let secret = '';
  const localZ = o.localNoiseMultiplier ?? 1;
  const localClip = o.localClip ?? 1;
  for (const mode of ['none', 'distributed', 'local-sgd'] as const) {
    const name = mode === 'distributed' ? `SecAgg + distributed DP (epsilon ${o.epsilon})` : mode === 'local-sgd' ? `local DP-SGD (record-level, z ${localZ}, epsilon per node)` : 'no DP';
    o.onArm?.(name);
    const workload = createGptTinyWorkload({ canaryRepeats: o.repeats });
    let audit: Omit<CanaryArm, 'name' | 'report' | 'epsilon'> | undefined;
    const report = await runSimulation({
      workload,
      clients: o.clients,
      rounds: o.rounds,
      model: workload.model,
      dataset: workload.dataset,
      partition: { kind: 'iid' },
      dropout: 0,
      seed: o.seed,
      ...(o.backend === undefined ? {} : { backend: o.backend }),
      ...(mode === 'distributed' ? { secagg: { l2Clip: 1 }, dp: { mode: 'distributed' as const, clip: 1, targetEpsilon: o.epsilon, delta: o.delta } } : {}),
      ...(mode === 'local-sgd' ? { dp: { mode: 'local-sgd' as const, clip: localClip, noiseMultiplier: localZ, delta: o.delta } } : {}),
      logLevel: 'error',
      inspect: async ({ weights, trainers }) => {
        // Every arm plants the same canary: the workload's data comes from the same seed.
        const canary = workload.lastCanary!;
        secret = canary.secret;
        const trainer = trainers[0] as CausalLmTrainer | DpCausalLmTrainer;
        trainer.setWeights(weights);
        const tok = new ByteTokenizer();
        const exposure = await canaryExposure(trainer.model, tok, { prefix: canary.prefix, secret: canary.secret, suffix: '.' }, CANARY_DIGITS, o.candidates, seededRandom(nodeCryptoProvider, `${o.seed}/candidates`));
        const out = await generate(trainer.model, tok.encode(canary.prefix), { maxNewTokens: CANARY_DIGITS + 1, greedy: true });
        const completion = tok.decode(out.tokens);
        const nodeEpsilons = mode === 'local-sgd' ? trainers.map((t) => (t as DpCausalLmTrainer).privacySpent(o.delta).epsilon) : null;
        const membership = lossThresholdAttack(perSequenceLosses(trainer.model, trainer.trainData), perSequenceLosses(trainer.model, trainer.validationData));
        audit = { exposure, completion, revealsSecret: completion.startsWith(canary.secret), nodeEpsilons, membership, finalPerplexity: await heldOutPerplexity(trainers as readonly (CausalLmTrainer | DpCausalLmTrainer)[], weights) };
      },
    });
    const last = report.rounds.filter((r) => r.status === 'completed').at(-1);
    arms.push({ name, report, ...audit!, epsilon: last?.epsilon ?? null });
  }
  return { secret, arms };
}

/** Validation perplexity of the final model over every node's held-out rows (row-weighted mean of each node's), computed at the nodes. */
async function heldOutPerplexity(trainers: readonly (CausalLmTrainer | DpCausalLmTrainer)[], weights: Float32Array): Promise<number | null> {
  let rows = 0;
  let sum = 0;
  for (const t of trainers) {
    t.setWeights(weights);
    const r = await t.evaluate({});
    const ppl = r.metrics.perplexity;
    if (r.numExamples === 0 || ppl === undefined) continue;
    rows += r.numExamples;
    sum += r.numExamples * ppl;
  }
  return rows === 0 ? null : sum / rows;
}

/** The side-by-side table the CLI prints. */
export function formatCanaryTable(r: CanaryExperimentResult): string {
  const rows: [string, (a: CanaryArm) => string][] = [
    ['validation perplexity', (a) => (a.finalPerplexity === null ? '-' : a.finalPerplexity < 1e4 ? a.finalPerplexity.toFixed(2) : a.finalPerplexity.toExponential(2))],
    ['canary exposure, bits (normal tail)', (a) => `${a.exposure.exposureExtrapolated.toFixed(1)} of ${a.exposure.maxBits.toFixed(1)}`],
    ['canary exposure, bits (empirical)', (a) => `${a.exposure.exposureEmpirical.toFixed(1)} (${a.exposure.atLeastAsLikely}/${a.exposure.candidates} as likely)`],
    ['membership inference AUC (canary node)', (a) => `${a.membership.auc.toFixed(3)} (advantage ${a.membership.advantage.toFixed(3)}; 0.5 = no signal)`],
    ['greedy completion of the prefix', (a) => JSON.stringify(a.completion) + (a.revealsSecret ? ' REVEALS THE SECRET' : '')],
    ['epsilon spent', (a) => (a.epsilon === null ? 'none' : a.epsilon.toFixed(2) + (a.nodeEpsilons === null ? '' : ' (largest node, attested)'))],
    ['epsilon per node (record-level)', (a) => (a.nodeEpsilons === null ? '-' : a.nodeEpsilons.map((e) => e.toFixed(2)).join(', '))],
  ];
  const w0 = Math.max(...rows.map(([n]) => n.length));
  const w = r.arms.map((a) => Math.max(a.name.length, ...rows.map(([, f]) => f(a).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(i === 0 ? w0 : w[i - 1]!)).join('  ');
  return [`secret: ${r.secret}`, line(['', ...r.arms.map((a) => a.name)]), ...rows.map(([n, f]) => line([n, ...r.arms.map(f)]))].join('\n') + '\n';
}
