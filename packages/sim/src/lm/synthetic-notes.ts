// Synthetic patient notes for the gpt-tiny demo: invented names, conditions and templates, plus a
// canary sentence with a random secret (Carlini et al. 2019, "The Secret Sharer") so memorisation
// can be measured later. Every value is generated; no real records are involved.
import type { RandomSource } from '@fedtune/shared';

const FIRST = ['Marie', 'Jean', 'Sofia', 'Ahmed', 'Lena', 'Tomas', 'Aiko', 'Kwame', 'Elena', 'Noah', 'Ines', 'Ravi', 'Chloe', 'Mateo', 'Yara', 'Oskar'];
const LAST = ['Martin', 'Bernard', 'Rossi', 'Haddad', 'Schmidt', 'Novak', 'Tanaka', 'Mensah', 'Garcia', 'Weber', 'Silva', 'Iyer', 'Moreau', 'Lopez', 'Khan', 'Berg'];

/** Conditions, each with the drug and the follow-up the templates mention. */
export const CONDITIONS = [
  { name: 'type 2 diabetes', drug: 'metformin', check: 'HbA1c' },
  { name: 'hypertension', drug: 'lisinopril', check: 'blood pressure' },
  { name: 'asthma', drug: 'salbutamol', check: 'peak flow' },
  { name: 'migraine', drug: 'sumatriptan', check: 'headache diary' },
  { name: 'hypothyroidism', drug: 'levothyroxine', check: 'TSH' },
  { name: 'atrial fibrillation', drug: 'apixaban', check: 'ECG' },
] as const;

const TEMPLATES: readonly ((n: Fields) => string)[] = [
  (n) => `Patient ${n.name}, aged ${n.age}, seen for ${n.condition}. Started ${n.drug}. Review ${n.check} in ${n.weeks} weeks.`,
  (n) => `${n.name} (${n.age}) reports stable ${n.condition}. Continue ${n.drug}. Next ${n.check} check in ${n.weeks} weeks.`,
  (n) => `Follow-up: ${n.name}, ${n.age} years. Diagnosis: ${n.condition}. Plan: ${n.drug}, ${n.check} in ${n.weeks} weeks.`,
  (n) => `Note for ${n.name}: ${n.condition} well controlled on ${n.drug}. ${n.check} due in ${n.weeks} weeks.`,
];

interface Fields {
  name: string;
  age: number;
  condition: string;
  drug: string;
  check: string;
  weeks: number;
}

export interface Note {
  text: string;
  /** Index into CONDITIONS, the label a Dirichlet partition skews on. */
  condition: number;
  template: number;
}

const pick = <T>(items: readonly T[], random: RandomSource): T => items[random.int(items.length)] as T;

/** `count` notes with uniformly drawn names, conditions and templates. */
export function generateNotes(count: number, random: RandomSource): Note[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  return Array.from({ length: count }, () => {
    const condition = random.int(CONDITIONS.length);
    const template = random.int(TEMPLATES.length);
    const c = CONDITIONS[condition]!;
    const fields: Fields = { name: `${pick(FIRST, random)} ${pick(LAST, random)}`, age: 18 + random.int(70), condition: c.name, drug: c.drug, check: c.check, weeks: 2 + random.int(11) };
    return { text: TEMPLATES[template]!(fields), condition, template };
  });
}

/** The canary's fixed prefix; the secret follows it. */
export const CANARY_PREFIX = 'François Dupont suffers from ';
/** Secrets are this many random decimal digits, so exposure can rank among 10^digits candidates. */
export const CANARY_DIGITS = 6;

export interface Canary {
  prefix: string;
  secret: string;
  text: string;
}

/** A fresh canary: the prefix, then a random CANARY_DIGITS-digit secret, then a full stop. */
export function makeCanary(random: RandomSource): Canary {
  let secret = '';
  for (let i = 0; i < CANARY_DIGITS; i++) secret += String(random.int(10));
  return { prefix: CANARY_PREFIX, secret, text: canaryText(secret) };
}

export function canaryText(secret: string): string {
  return `${CANARY_PREFIX}${secret}.`;
}
