// The demo's settings, full and quick (CI), and why they are what they are. Every number here was
// chosen by running the experiment and reading its report (docs/privacy.md, "The demo").
import type { LoraConfig } from '@fedtune/client';
import { FULL_BASE, QUICK_BASE, type BaseModelSpec } from './base-model.js';
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

export const FULL_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  quick: false,
  base: FULL_BASE,
  data: { clinics: 8, patientsPerClinic: 300, notesPerPatient: [2, 4] as const, heldOutFraction: 0.15, canaryClinic: 0, canaryRepeats: 20 },
  lora: LORA,
  strategy: 'fedavg',
  serverLearningRate: 1,
  plain: { rounds: 5, epochs: 1, batchSize: 16, learningRate: 2e-2 },
  dp: { rounds: 5, targetEpsilon: 8, delta: 1e-5, clip: 1, patientsPerStep: 64, stepsPerRound: 4, learningRate: 2e-2 },
  membershipNotes: 300,
  secaggClip: 1000,
});

export const QUICK_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  quick: true,
  base: QUICK_BASE,
  data: { clinics: 8, patientsPerClinic: 60, notesPerPatient: [2, 3] as const, heldOutFraction: 0.25, canaryClinic: 0, canaryRepeats: 100 },
  lora: LORA,
  strategy: 'fedavg',
  serverLearningRate: 1,
  plain: { rounds: 8, epochs: 2, batchSize: 16, learningRate: 3e-2 },
  dp: { rounds: 3, targetEpsilon: 8, delta: 1e-5, clip: 1, patientsPerStep: 32, stepsPerRound: 6, learningRate: 2e-2 },
  membershipNotes: 200,
  secaggClip: 1000,
});
