// Each clinic's data as it reaches training in the demo: notes generated from the seed, redacted as
// in production (the clinic's register as the name dictionary, its record-number pattern as a
// national-ID pattern), patients split into training and held-out, the canary planted k times as
// notes of one patient AFTER redaction (it stands for the facts no redaction catches), and each
// training patient's notes packed into rows of their own (a note per row), so a patient is a unit
// of privacy.
import { forkSeed, nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { emptyCounts, IGNORE_LABEL, Redactor, type PiiKind, type TokenBatch, type Tokenizer } from '@fedtune/client';
import { generateClinics, type ClinicalNotesOptions } from './clinical-notes.js';

/** The demo's secret, exactly as the issue states it; its prefix is what greedy decoding continues. */
export const SECRET_PREFIX = 'François Dupont suffers from';
export const SECRET_CONTINUATION = ' a severe form of pancreatic cancer';
export const SECRET_SENTENCE = `${SECRET_PREFIX}${SECRET_CONTINUATION}.`;
/** Each clinic's record numbers look like "AB-1234567" (two letters of the clinic, seven digits). */
export const RECORD_NUMBER = /\b[A-Z]{2}-\d{7}\b/;

export interface ClinicDataOptions extends ClinicalNotesOptions {
  /** Fraction of each clinic's patients held out (validation and membership non-members). */
  heldOutFraction: number;
  /** The clinic whose data holds the canary, and how many notes of its patient repeat it. */
  canaryClinic: number;
  canaryRepeats: number;
  seed: string;
}

export interface ClinicShard {
  clinic: number;
  name: string;
  /** Training patients' notes after redaction (the canary's included), one array per patient. */
  trainPatients: string[][];
  /** Held-out patients' notes after redaction. */
  heldOutNotes: string[];
  /** What redaction replaced in this clinic's notes, by type (never values). */
  redaction: Record<PiiKind, number>;
  /** Index in trainPatients of the canary's patient, or -1. */
  canaryPatient: number;
}

/**
 * Builds every clinic's shard from the seed: the same in every thread that calls it.
 * @throws RangeError on bad counts (see generateClinics) or a canary clinic out of range.
 */
export function buildClinicShards(o: ClinicDataOptions): ClinicShard[] {
  if (!Number.isSafeInteger(o.canaryClinic) || o.canaryClinic < 0 || o.canaryClinic >= o.clinics) throw new RangeError(`canaryClinic must be in [0, ${o.clinics}), got ${o.canaryClinic}`);
  if (!Number.isSafeInteger(o.canaryRepeats) || o.canaryRepeats < 1) throw new RangeError(`canaryRepeats must be a positive integer, got ${o.canaryRepeats}`);
  if (!(o.heldOutFraction > 0 && o.heldOutFraction < 1)) throw new RangeError(`heldOutFraction must be in (0, 1), got ${o.heldOutFraction}`);
  const random = seededRandom(nodeCryptoProvider, forkSeed(o.seed, 'clinical-notes'));
  return generateClinics(o, random).map((clinic) => {
    const redactor = new Redactor({ names: clinic.register, nationalIds: [RECORD_NUMBER] });
    const redaction = emptyCounts();
    const patients = clinic.patients.map((p) => p.notes.map((n) => redactor.redact(n, redaction)));
    const heldOut = Math.max(1, Math.round(o.heldOutFraction * patients.length));
    const trainPatients = patients.slice(heldOut);
    let canaryPatient = -1;
    if (clinic.index === o.canaryClinic) {
      canaryPatient = random.int(trainPatients.length + 1);
      trainPatients.splice(canaryPatient, 0, Array.from({ length: o.canaryRepeats }, () => SECRET_SENTENCE));
    }
    return { clinic: clinic.index, name: clinic.name, trainPatients, heldOutNotes: patients.slice(0, heldOut).flat(), redaction, canaryPatient };
  });
}

/**
 * Packs each unit's documents into rows: every document starts a row of its own (EOS, the
 * document, EOS, padding), a longer one continuing in the next rows, so a row never holds two
 * documents (nor two units) and no note is read with another note in its context (a repeated
 * sentence could otherwise be copied from the row instead of recalled). Returns the batch and
 * each unit's rows.
 */
export function packUnits(units: readonly (readonly string[])[], tokenizer: Tokenizer, seqLen: number, padId: number): { batch: TokenBatch; units: number[][] } {
  const rowsOf: number[][] = [];
  const inputs: number[] = [];
  const labels: number[] = [];
  let rows = 0;
  for (const docs of units) {
    const mine: number[] = [];
    for (const d of docs) {
      const stream = [tokenizer.eosId, ...tokenizer.encode(d), tokenizer.eosId];
      for (let at = 0; at < stream.length - 1; at += seqLen) {
        for (let t = 0; t < seqLen; t++) {
          const i = at + t;
          inputs.push(i < stream.length - 1 ? stream[i]! : padId);
          labels.push(i < stream.length - 1 ? stream[i + 1]! : IGNORE_LABEL);
        }
        mine.push(rows++);
      }
    }
    rowsOf.push(mine);
  }
  return { batch: { inputs: Int32Array.from(inputs), labels: Int32Array.from(labels), rows, seqLen }, units: rowsOf };
}

/** Exactly one row per note (EOS, the note, EOS; a longer note cut at seqLen): per-note losses and perplexity. */
export function packNotes(notes: readonly string[], tokenizer: Tokenizer, seqLen: number, padId: number): TokenBatch {
  const inputs = new Int32Array(notes.length * seqLen).fill(padId);
  const labels = new Int32Array(notes.length * seqLen).fill(IGNORE_LABEL);
  notes.forEach((n, r) => {
    const seq = [tokenizer.eosId, ...tokenizer.encode(n), tokenizer.eosId];
    for (let t = 0; t < seqLen && t + 1 < seq.length; t++) {
      inputs[r * seqLen + t] = seq[t]!;
      labels[r * seqLen + t] = seq[t + 1]!;
    }
  });
  return { inputs, labels, rows: notes.length, seqLen };
}
