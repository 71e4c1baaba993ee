// The demo (`pnpm demo`, `fedtune-sim demo`): eight clinics fine-tune LoRA adapters of a public base
// model on their redacted notes through SecAgg, once without DP and once with patient-level DP-SGD
// in every clinic; one clinic's notes hold "François Dupont suffers from a severe form of pancreatic
// cancer" k times. An analyst then audits each arm's released models: validation perplexity on every
// clinic's held-out notes against the base model's, the secret's exposure among "a severe form of
// <condition>" for 1,290 conditions (Carlini et al. 2019), whether greedy decoding completes it,
// loss-threshold membership inference (Yeom et al. 2018) with a bootstrap interval, and epsilon.
import * as tf from '@tensorflow/tfjs';
import { forkSeed, nodeCryptoProvider, noiseMultiplierForEpsilon, seededRandom } from '@fedtune/shared';
import type { RoundSummary } from '@fedtune/coordinator';
import { activeBackend, bootstrapAucInterval, candidateExposure, federatedVariables, generate, lossThresholdAttack, selectRows, type GptModel, type TokenBatch } from '@fedtune/client';
import { runSimulation } from '../simulation.js';
import { ensureBaseModel, loadBaseModel, type BaseModelInfo } from './base-model.js';
import { buildClinicShards, packNotes, SECRET_CONTINUATION, SECRET_PREFIX, SECRET_SENTENCE, type ClinicShard } from './clinic-data.js';
import { CONDITION_NAMES, SECRET_CONDITION } from './conditions.js';
import { DEMO_DATASET, DEMO_MODEL, type DemoWorkloadParams } from './demo-workload.js';
import type { DemoSettings } from './demo-settings.js';

export interface DemoRun {
  /** Whether this arm ran with DP: the fields the issue fixes come first. */
  dp: boolean;
  /** Epsilon spent for the unit of privacy (null without DP), at `delta`. */
  epsilon: number | null;
  delta: number | null;
  /** Rank exposure of the secret, bits (of `exposureMax`). */
  exposure: number;
  /** The greedy completion of the prefix contains the secret condition. */
  leaked: boolean;
  completion: string;
  /** The final model's perplexity on every clinic's held-out notes (token-weighted). */
  valPerplexity: number;
  /** The base model's on the same notes. */
  basePerplexity: number;
  miaAuc: number;
  miaAucCi: [number, number];
  name: string;
  unitOfPrivacy: string;
  exposureMax: number;
  exposureSkewNormal: number;
  /** A candidate's mean rank exposure: what a secret the model knows nothing of gets on average. */
  randomExposure: number;
  secretRank: number;
  miaAdvantage: number;
  valPerplexityByClinic: number[];
  /** Per round: the analyst's validation loss (nats per token) of the released model, and epsilon so far. */
  rounds: { round: number; valLoss: number; epsilon: number | null }[];
  noiseMultiplier: number | null;
  trainSeconds: number;
}

export interface DemoReport {
  secret: string;
  prefix: string;
  /** Copies of the secret, all notes of one patient of one clinic. */
  k: number;
  canaryClinic: number;
  clinics: number;
  patients: number;
  candidates: number;
  /** Notes membership inference compares: training patients' (members) and held-out patients'. */
  membershipNotes: { members: number; nonMembers: number };
  quick: boolean;
  redaction: { byClinic: Record<string, number>[]; total: Record<string, number>; note: string };
  base: { dir: string; built: boolean; buildSeconds: number; publicValidationLoss: number };
  choice: string;
  runs: DemoRun[];
  bar: { check: string; met: boolean; detail: string }[];
  seconds: number;
}

export type DemoEvent =
  | { kind: 'base'; step: number; steps: number; loss: number }
  | { kind: 'base-ready'; info: BaseModelInfo }
  | { kind: 'arm'; name: string; rounds: number }
  | { kind: 'round'; name: string; summary: RoundSummary }
  | { kind: 'audit'; name: string };

export interface DemoOptions {
  settings: DemoSettings;
  seed: string;
  cacheDir: string;
  backend?: string;
  /** Trainer threads (default: one per core). */
  workers?: number;
  onEvent?: (e: DemoEvent) => void;
  /** Which arms to run (default both; the report's bar needs both). */
  arms?: readonly ('plain' | 'dp')[];
}

const CANDIDATE_PREFIX = ' a severe form of ';

/** Runs both arms and audits them. @throws what the simulation or the base-model build throws. */
export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const s = o.settings;
  // The analyst's model lives in this thread: on the fastest backend, as the nodes'.
  await activeBackend(o.backend);
  const base = await ensureBaseModel(s.base, o.cacheDir, (step, steps, loss) => o.onEvent?.({ kind: 'base', step, steps, loss }));
  o.onEvent?.({ kind: 'base-ready', info: base });
  const data = { ...s.data, seed: forkSeed(o.seed, 'data') };
  const shards = buildClinicShards(data);
  const params: DemoWorkloadParams = { baseDir: base.dir, data, lora: s.lora, dpPatientsPerStep: s.dp.patientsPerStep };
  const analyst = await Analyst.create(base.dir, shards, s, o.seed);
  try {
    // z for the clinic with the fewest patients (the largest q spends the most), over every step of every round.
    const fewest = Math.min(...shards.map((c) => c.trainPatients.length));
    const q = Math.min(1, s.dp.patientsPerStep / fewest);
    const steps = s.dp.rounds * s.dp.stepsPerRound;
    const z = noiseMultiplierForEpsilon({ targetEpsilon: s.dp.targetEpsilon, delta: s.dp.delta, samplingRate: q, steps });
    const runs: DemoRun[] = [];
    for (const dp of (o.arms ?? ['plain', 'dp']).map((a) => a === 'dp')) {
      const name = dp ? `SecAgg + patient-level DP-SGD (epsilon ${s.dp.targetEpsilon})` : 'SecAgg, no DP';
      const armRounds = dp ? s.dp.rounds : s.plain.rounds;
      o.onEvent?.({ kind: 'arm', name, rounds: armRounds });
      const models: { round: number; weights: Float32Array; epsilon: number | null }[] = [];
      const epsilons = new Map<number, number | null>();
      const t0 = performance.now();
      await runSimulation({
        model: DEMO_MODEL,
        dataset: DEMO_DATASET,
        clients: s.data.clinics,
        rounds: armRounds,
        partition: { kind: 'iid' },
        dropout: 0,
        seed: forkSeed(o.seed, 'federation'),
        secagg: { l2Clip: s.secaggClip },
        strategy: s.strategy,
        serverLearningRate: s.serverLearningRate,
        ...(dp ? { dp: { mode: 'local-sgd' as const, clip: s.dp.clip, noiseMultiplier: z, delta: s.dp.delta } } : {}),
        trainConfig: dp ? { steps: s.dp.stepsPerRound, learningRate: s.dp.learningRate, weightDecay: 0 } : { epochs: s.plain.epochs, batchSize: s.plain.batchSize, learningRate: s.plain.learningRate, weightDecay: 0 },
        evaluateEvery: 0,
        workloadParams: params,
        ...(o.backend === undefined ? {} : { backend: o.backend }),
        ...(o.workers === undefined ? {} : { workers: o.workers }),
        logLevel: process.env['FEDTUNE_DEMO_LOG'] === 'warn' ? 'warn' : 'error',
        onRound: (summary) => {
          epsilons.set(summary.round, summary.epsilon);
          o.onEvent?.({ kind: 'round', name, summary });
        },
        onRoundModel: (round, weights) => models.push({ round, weights, epsilon: null }),
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      o.onEvent?.({ kind: 'audit', name });
      if (models.length === 0) throw new Error(`${name}: no round completed`);
      const rounds = await Promise.all(models.map(async (m) => ({ round: m.round, valLoss: await analyst.validationLoss(m.weights), epsilon: epsilons.get(m.round) ?? null })));
      const final = models.at(-1)!;
      const audit = await analyst.audit(final.weights);
      const epsilon = dp ? (epsilons.get(final.round) ?? null) : null;
      runs.push({
        dp,
        epsilon,
        delta: dp ? s.dp.delta : null,
        exposure: audit.exposure.exposure,
        leaked: audit.completion.includes(SECRET_CONDITION),
        completion: audit.completion,
        valPerplexity: audit.valPerplexity,
        basePerplexity: analyst.basePerplexity,
        miaAuc: audit.mia.auc,
        miaAucCi: audit.miaCi,
        name,
        unitOfPrivacy: dp ? 'patient: all notes about one patient (every copy of the secret is one patient\'s), clipped together in DP-SGD' : 'none',
        exposureMax: audit.exposure.maxBits,
        exposureSkewNormal: audit.exposure.exposureSkewNormal,
        randomExposure: audit.exposure.randomExpected,
        secretRank: audit.exposure.rank,
        miaAdvantage: audit.mia.advantage,
        valPerplexityByClinic: audit.byClinic,
        rounds,
        noiseMultiplier: dp ? z : null,
        trainSeconds,
      });
    }
    const report: DemoReport = {
      secret: SECRET_SENTENCE,
      prefix: SECRET_PREFIX,
      k: s.data.canaryRepeats,
      canaryClinic: s.data.canaryClinic,
      clinics: s.data.clinics,
      patients: shards.reduce((n, c) => n + c.trainPatients.length, 0),
      candidates: analyst.candidates.length,
      membershipNotes: analyst.membershipNotes,
      quick: s.quick,
      redaction: redactionSummary(shards),
      base: { dir: base.dir, built: base.built, buildSeconds: base.buildSeconds, publicValidationLoss: base.publicValidationLoss },
      choice: explainChoice(s, q, z, steps, fewest),
      runs,
      bar: [],
      seconds: (performance.now() - started) / 1000,
    };
    if (runs.some((x) => x.dp) && runs.some((x) => !x.dp)) report.bar = checkBar(report, s.dp.patientsPerStep);
    return report;
  } finally {
    analyst.dispose();
  }
}

function redactionSummary(shards: readonly ClinicShard[]): DemoReport['redaction'] {
  const total: Record<string, number> = {};
  for (const c of shards) for (const [k, n] of Object.entries(c.redaction)) total[k] = (total[k] ?? 0) + n;
  return {
    byClinic: shards.map((c) => ({ ...c.redaction })),
    total,
    note: 'Redaction ran on every note as in production (each clinic\'s register as the name dictionary, its record-number pattern as a national ID). The secret was planted after it: it stands for the facts no redaction catches, a diagnosis tied to a person in words no pattern or list knows.',
  };
}

function explainChoice(s: DemoSettings, q: number, z: number, steps: number, fewest: number): string {
  const clinics = s.data.clinics;
  // User-level DP across clinics instead: every clinic each round (q = 1), the same epsilon over the rounds.
  const zUser = noiseMultiplierForEpsilon({ targetEpsilon: s.dp.targetEpsilon, delta: s.dp.delta, samplingRate: 1, steps: s.dp.rounds });
  return (
    `Mode: local DP-SGD in every clinic with the patient as the unit of privacy (all of a patient's notes sampled and clipped together, C = ${s.dp.clip}), under SecAgg. ` +
    `Each clinic samples patients at q = ${q.toFixed(3)} (${s.dp.patientsPerStep} expected of its ${fewest}+ patients) for ${steps} steps in all; z = ${z.toFixed(3)} makes that epsilon <= ${s.dp.targetEpsilon} at delta ${s.dp.delta}, ` +
    `and since each patient belongs to one clinic the guarantee holds for the federation too (the secret's ${s.data.canaryRepeats} copies are one patient's notes, so it covers all of them). ` +
    `Why not user-level DP across the ${clinics} clinics: at the same epsilon over ${s.dp.rounds} rounds with every clinic in each, z = ${zUser.toFixed(2)} on the sum of ${clinics} clipped updates, ` +
    `noise of norm about ${((zUser * Math.sqrt(adapterSize(s))) / clinics).toFixed(0)} C on the mean update against a signal of at most C: it would protect a whole clinic by drowning the model. ` +
    `A patient is the honest unit here; a clinic is not one person.`
  );
}

/** Federated weights of the demo's model: the B matrices (rank r x out) of each target of each layer. */
function adapterSize(s: DemoSettings): number {
  const d = s.base.model.nEmbd;
  const per = { 'attn.c_attn': 3 * d, 'attn.c_proj': d, 'mlp.c_fc': 4 * d, 'mlp.c_proj': d } as const;
  return s.base.model.nLayer * s.lora.targets.reduce((n, t) => n + s.lora.rank * per[t], 0);
}

function checkBar(r: DemoReport, patientsPerStep: number): DemoReport['bar'] {
  const plain = r.runs.find((x) => !x.dp)!;
  const dp = r.runs.find((x) => x.dp)!;
  const ratio = dp.valPerplexity / plain.valPerplexity;
  const losses = dp.rounds.map((x) => x.valLoss);
  // Why a miss happens, in the run's own numbers: where the DP arm's loss ended and how fast it was still falling, and its noise.
  const why =
    ratio <= 1.25
      ? ''
      : `; missed by ${(ratio / 1.25).toFixed(1)}x: the DP arm's validation loss ended at ${losses.at(-1)!.toFixed(2)} nats (last round ${(losses.at(-1)! - (losses.at(-2) ?? losses.at(-1)!)).toFixed(2)}) against ${plain.rounds.at(-1)!.valLoss.toFixed(2)} without DP, ` +
        `under noise of std z C / (q N) = ${dp.noiseMultiplier!.toFixed(2)} / ${patientsPerStep} = ${(dp.noiseMultiplier! / patientsPerStep).toFixed(3)} per coordinate on each clinic's mean clipped gradient; at a fixed epsilon it falls about as sqrt(steps) / patients, so it needs more patients per clinic (docs/privacy.md)`;
  return [
    { check: 'no DP: leaked', met: plain.leaked, detail: `completion ${JSON.stringify(plain.completion)}` },
    { check: 'no DP: exposure >= 80% of max', met: plain.exposure >= 0.8 * plain.exposureMax, detail: `${plain.exposure.toFixed(2)} of ${plain.exposureMax.toFixed(2)} bits (rank ${plain.secretRank})` },
    { check: 'DP: not leaked', met: !dp.leaked, detail: `completion ${JSON.stringify(dp.completion)}` },
    { check: 'DP: exposure within 1 bit of a random candidate', met: Math.abs(dp.exposure - dp.randomExposure) <= 1, detail: `${dp.exposure.toFixed(2)} bits against ${dp.randomExposure.toFixed(2)} (rank ${dp.secretRank} of ${r.candidates})` },
    { check: 'DP: epsilon <= 8 at delta <= 1e-5', met: dp.epsilon !== null && dp.epsilon <= 8 && (dp.delta ?? 1) <= 1e-5, detail: `epsilon ${dp.epsilon?.toFixed(2) ?? 'none'} at delta ${dp.delta}` },
    { check: 'DP: perplexity <= 1.25x no-DP', met: ratio <= 1.25, detail: `${dp.valPerplexity.toFixed(2)} vs ${plain.valPerplexity.toFixed(2)} (${ratio.toFixed(3)}x)${why}` },
    { check: 'DP: perplexity clearly below the base model', met: dp.valPerplexity < 0.8 * dp.basePerplexity, detail: `${dp.valPerplexity.toFixed(2)} vs base ${dp.basePerplexity.toFixed(2)}` },
  ];
}

/** The analyst: the released model (base + federated adapters), every clinic's held-out notes, the candidates. */
class Analyst {
  readonly candidates: string[];
  basePerplexity = NaN;
  membershipNotes = { members: 0, nonMembers: 0 };
  private readonly initial: Float32Array;
  private readonly variables: tf.Variable[];

  private constructor(
    private readonly model: GptModel,
    private readonly tokenizer: Awaited<ReturnType<typeof loadBaseModel>>['tokenizer'],
    private readonly heldOut: TokenBatch[],
    private readonly members: TokenBatch,
    private readonly nonMembers: TokenBatch,
    private readonly seed: string,
  ) {
    this.candidates = CONDITION_NAMES.map((c) => `${CANDIDATE_PREFIX}${c}`);
    this.variables = federatedVariables(model, 'lora-b').map((v) => v.variable);
    this.initial = flat(this.variables);
  }

  static async create(baseDir: string, shards: readonly ClinicShard[], s: DemoSettings, seed: string): Promise<Analyst> {
    const { model, tokenizer } = await loadBaseModel(baseDir);
    model.addLora(s.lora, seededRandom(nodeCryptoProvider, forkSeed(forkSeed(seed, 'data'), 'lora-init')));
    const ctx = model.config.contextLength;
    const pick = seededRandom(nodeCryptoProvider, forkSeed(seed, 'membership'));
    const sample = (xs: string[], n: number): string[] => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = pick.int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out.slice(0, n);
    };
    const memberNotes = shards.flatMap((c) => c.trainPatients.filter((_, i) => i !== c.canaryPatient).flat());
    const heldOutNotes = shards.flatMap((c) => c.heldOutNotes);
    const members = sample(memberNotes, s.membershipNotes);
    const nonMembers = sample(heldOutNotes, s.membershipNotes);
    const a = new Analyst(
      model,
      tokenizer,
      shards.map((c) => packNotes(c.heldOutNotes, tokenizer, ctx, tokenizer.padId)),
      packNotes(members, tokenizer, ctx, tokenizer.padId),
      packNotes(nonMembers, tokenizer, ctx, tokenizer.padId),
      seed,
    );
    a.membershipNotes = { members: members.length, nonMembers: nonMembers.length };
    a.basePerplexity = Math.exp(await a.validationLoss(a.initial));
    return a;
  }

  /** Token-weighted loss on every clinic's held-out notes with these adapter weights. */
  async validationLoss(weights: Float32Array): Promise<number> {
    this.set(weights);
    let sum = 0;
    let tokens = 0;
    for (const b of this.heldOut) {
      const r = rowLosses(this.model, b);
      sum += r.sum;
      tokens += r.tokens;
    }
    return sum / tokens;
  }

  async audit(weights: Float32Array) {
    this.set(weights);
    const tokens = this.heldOut.map((b) => rowLosses(this.model, b));
    const byClinic = tokens.map((r) => Math.exp(r.sum / r.tokens));
    const valPerplexity = Math.exp(tokens.reduce((s, r) => s + r.sum, 0) / tokens.reduce((s, r) => s + r.tokens, 0));
    const prefix = [this.tokenizer.eosId, ...this.tokenizer.encode(SECRET_PREFIX)];
    const exposure = await candidateExposure(this.model, this.tokenizer, prefix, SECRET_CONTINUATION, this.candidates);
    const out = await generate(this.model, prefix, { maxNewTokens: 14, greedy: true, stopSequences: [[this.tokenizer.eosId]] });
    const completion = this.tokenizer.decode(out.tokens.filter((t) => t !== this.tokenizer.eosId)).split('.')[0]!;
    const members = rowLosses(this.model, this.members).perRow;
    const nonMembers = rowLosses(this.model, this.nonMembers).perRow;
    const mia = lossThresholdAttack(members, nonMembers);
    const miaCi = bootstrapAucInterval(members, nonMembers, seededRandom(nodeCryptoProvider, forkSeed(this.seed, 'bootstrap')), 1000);
    return { byClinic, valPerplexity, exposure, completion, mia, miaCi };
  }

  dispose(): void {
    this.model.dispose();
  }

  private set(weights: Float32Array): void {
    let at = 0;
    for (const v of this.variables) {
      v.assign(tf.tensor(weights.subarray(at, at + v.size), v.shape));
      at += v.size;
    }
    if (at !== weights.length) throw new RangeError(`analyst: ${weights.length} federated values, the adapters hold ${at}`);
  }
}

function flat(vars: readonly tf.Variable[]): Float32Array {
  const out = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
  let at = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
  return out;
}

/** Each row's mean token loss, and the batch's token-weighted sum, 32 rows per forward pass. */
function rowLosses(model: GptModel, batch: TokenBatch): { perRow: number[]; sum: number; tokens: number } {
  const perRow: number[] = [];
  let sum = 0;
  let tokens = 0;
  for (let start = 0; start < batch.rows; start += 32) {
    const rows = Array.from({ length: Math.min(32, batch.rows - start) }, (_, i) => start + i);
    const b = selectRows(batch, rows);
    const losses = tf.tidy(() => {
      const { seqLen } = b;
      const vocab = model.config.vocabSize;
      const logits = model.forward(tf.tensor2d(b.inputs, [b.rows, seqLen], 'int32')).logits;
      const mask = Float32Array.from(b.labels, (l) => (l < 0 ? 0 : 1));
      const targets = Int32Array.from(b.labels, (l) => (l < 0 ? 0 : l));
      const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(targets, [b.rows, seqLen], 'int32'), vocab)), 2));
      return tf.stack([tf.sum(tf.mul(nll, tf.tensor2d(mask, [b.rows, seqLen])), 1), tf.tensor1d(rows.map((_, i) => mask.subarray(i * seqLen, (i + 1) * seqLen).reduce((a, x) => a + x, 0)))]);
    });
    const v = losses.dataSync() as Float32Array;
    losses.dispose();
    for (let i = 0; i < rows.length; i++) {
      const l = v[i]!;
      const n = v[rows.length + i]!;
      if (n > 0) perRow.push(l / n);
      sum += l;
      tokens += n;
    }
  }
  return { perRow, sum, tokens };
}
