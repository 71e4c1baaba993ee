// The demo's settings, full and quick (CI), and why they are what they are. Every number here was
// chosen by running the experiment and reading its report (docs/privacy.md, "The demo").
import type { LoraConfig } from '@fedtune/client';
import { DEMO_BASE, type BaseModelSpec } from './base-model.js';
import type { ClinicDataOptions } from './clinic-data.js';

export interface DemoSettings {
  quick: boolean;
  base: BaseModelSpec;
  data: Omit<ClinicDataOptions, 'seed'>;
  lora: LoraConfig;
  /** The server's optimiser, the same for both arms (DP: post-processing of the released updates). */
  strategy: 'fedavg' | 'fedavgm';
  /** The server's step on the mean update, the same for both arms. */
  serverLearningRate: number;
  /** The no-DP arm: plain AdamW over each clinic's packed rows. */
  plain: { rounds: number; epochs: number; batchSize: number; learningRate: number };
  /** The DP arm: patient-level DP-SGD in every clinic, z solved for `targetEpsilon` over all rounds. */
  dp: { rounds: number; targetEpsilon: number; delta: number; clip: number; patientsPerStep: number; stepsPerRound: number; learningRate: number };
  /** Candidate conditions for exposure (the whole list when undefined). */
  candidates?: number;
  /** Member and non-member notes for membership inference. */
  membershipNotes: number;
  /** SecAgg's per-node L2 bound for the ring encoding (larger than any delta here: it only bounds the encoding). */
  secaggClip: number;
}

const LORA: LoraConfig = { rank: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] };

// Why these: the secret as 200 notes of one patient, and many short rounds (batch 8, one epoch),
// because the mean over 8 clinics divides clinic 0's pull toward the secret by 8 every round: it
// builds up over rounds, not epochs (4 rounds x 4 epochs ranked it 7th where 8 x 2 ranked it 1st),
// and greedy decoding needs more than rank 1 among conditions (the first token " pancre" must beat
// the mass of every condition starting " c"). With 100 copies the quick run leaked in 4 of 5
// runs (training is not bit-reproducible: SecAgg's randomised rounding); with 200 in every run we
// made. The full run leaked with 60 patients a clinic and 26 rounds; with 80 and 22 it leaked at
// k = 100 and not at k = 200 (docs/privacy.md). A learning rate of 5e-2, or a server step of 2, diverged. The DP arm takes
// 16 patients a step (about the same total noise as 32 a step for half the steps, and more steps).
export const FULL_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  quick: false,
  base: DEMO_BASE,
  data: { clinics: 8, patientsPerClinic: 60, notesPerPatient: [2, 3] as const, heldOutFraction: 0.2, canaryClinic: 0, canaryRepeats: 200 },
  lora: LORA,
  strategy: 'fedavg',
  serverLearningRate: 1,
  plain: { rounds: 26, epochs: 1, batchSize: 8, learningRate: 3e-2 },
  dp: { rounds: 5, targetEpsilon: 8, delta: 1e-5, clip: 1, patientsPerStep: 16, stepsPerRound: 16, learningRate: 5e-2 },
  membershipNotes: 220,
  secaggClip: 1000,
});

/** The CI run: fewer patients, a DP arm of 10 steps; the same model, secret and audits. */
export const QUICK_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  ...FULL_SETTINGS,
  quick: true,
  data: { ...FULL_SETTINGS.data, patientsPerClinic: 40, heldOutFraction: 0.25 },
  plain: { ...FULL_SETTINGS.plain, rounds: 18 },
  dp: { ...FULL_SETTINGS.dp, rounds: 2, stepsPerRound: 5 },
  membershipNotes: 200,
});
