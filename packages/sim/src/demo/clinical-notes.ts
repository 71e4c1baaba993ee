// Synthetic clinical notes for the demo: clinics with their own templates and a non-IID mix of
// conditions (a Dirichlet over organ sites, as label skew in Hsu, Qi, Brown 2019), many patients
// with several notes each, and the personal data real notes carry (names, dates of birth, record
// numbers, phones, e-mails) for redaction to find. Every value is generated from the seed; no real
// records are involved. The public pretraining text comes from another generator (public-corpus.ts).
import { sampleDirichlet, type RandomSource } from '@fedtune/shared';
import { DRUGS, PATHOLOGIES, SEVERITIES, SITES } from './conditions.js';

const FIRST = ['Marie', 'Jean', 'Sofia', 'Ahmed', 'Lena', 'Tomas', 'Aiko', 'Kwame', 'Elena', 'Noah', 'Ines', 'Ravi', 'Chloe', 'Mateo', 'Yara', 'Oskar', 'Amara', 'Lucas', 'Mei', 'Hugo', 'Nadia', 'Pavel', 'Zoe', 'Omar', 'Freya', 'Diego', 'Hana', 'Felix', 'Leila', 'Arjun', 'Clara', 'Jonas'];
const LAST = ['Martin', 'Bernard', 'Rossi', 'Haddad', 'Schmidt', 'Novak', 'Tanaka', 'Mensah', 'Garcia', 'Weber', 'Silva', 'Iyer', 'Moreau', 'Lopez', 'Khan', 'Berg', 'Kowalski', 'Nguyen', 'Okafor', 'Larsen', 'Petrov', 'Costa', 'Fischer', 'Ali', 'Jansen', 'Romero', 'Sato', 'Dubois', 'Hughes', 'Varga', 'Lindqvist', 'Mahmoud'];
const STAFF = ['Keller', 'Laurent', 'Osei', 'Brennan', 'Horvat', 'Yilmaz', 'Ferrari', 'Adeyemi', 'Novotny', 'Suzuki', 'Marsh', 'Quinn'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SYMPTOMS = ['fatigue', 'pain', 'nausea', 'shortness of breath', 'weight loss', 'dizziness', 'fever', 'swelling', 'poor sleep', 'low appetite'];
const TRENDS = ['improving', 'stable', 'worse', 'unchanged', 'much better'];
const TESTS = ['CRP', 'HbA1c', 'creatinine', 'haemoglobin', 'ALT', 'TSH', 'lipase', 'troponin'];

export interface Patient {
  /** Unique across clinics: the unit of privacy in the demo's DP arm. */
  id: string;
  name: string;
  /** Index into CONDITION_NAMES. */
  condition: number;
  notes: string[];
}

export interface Clinic {
  index: number;
  name: string;
  /** The clinic's register: every patient's and clinician's name, which redaction is given as its dictionary. */
  register: string[];
  patients: Patient[];
}

export interface ClinicalNotesOptions {
  clinics: number;
  patientsPerClinic: number;
  /** Notes per patient, drawn uniformly from [min, max]. */
  notesPerPatient: readonly [number, number];
  /** Concentration of each clinic's Dirichlet over organ sites (smaller: more specialised). Default 0.3. */
  siteAlpha?: number;
}

interface Fields {
  name: string;
  dob: string;
  mrn: string;
  phone: string;
  email: string;
  condition: string;
  severity: string;
  drug: string;
  dose: number;
  weeks: number;
  date: string;
  staff: string;
  symptom: string;
  trend: string;
  test: string;
  value: string;
  clinic: string;
}

/** Note templates; each clinic writes with its own subset. The second is the canary's sentence shape. */
const TEMPLATES: readonly ((f: Fields) => string)[] = [
  (f) => `Patient ${f.name}, born ${f.dob}, MRN ${f.mrn}. Seen for ${f.condition}. Started ${f.drug} ${f.dose} mg daily. Review in ${f.weeks} weeks.`,
  (f) => `${f.name} suffers from a ${f.severity} form of ${f.condition}. Continue ${f.drug}; next review in ${f.weeks} weeks.`,
  (f) => `Follow-up on ${f.date}: ${f.name} reports ${f.symptom}, ${f.trend}. Diagnosis: ${f.severity} ${f.condition}. Plan: ${f.drug} ${f.dose} mg.`,
  (f) => `Phone call with ${f.name} on ${f.phone}: ${f.symptom} is ${f.trend}. Dr. ${f.staff} adjusted the ${f.drug} dose to ${f.dose} mg.`,
  (f) => `Referral: ${f.name} (date of birth ${f.dob}) has a ${f.severity} form of ${f.condition}. Please reply to ${f.email}.`,
  (f) => `Discharge summary for ${f.name}: admitted with ${f.condition}, treated with ${f.drug}, discharged home on ${f.date}.`,
  (f) => `Nurse note: ${f.name} tolerating ${f.drug} well, ${f.symptom} ${f.trend}. Next appointment on ${f.date}.`,
  (f) => `Lab results for ${f.name}, MRN ${f.mrn}: ${f.test} ${f.value}, in keeping with ${f.condition}. Discussed with Dr. ${f.staff}.`,
  (f) => `${f.clinic} clinic letter. Dear Dr. ${f.staff}, I reviewed ${f.name} today. The ${f.condition} is ${f.trend} on ${f.drug}.`,
  (f) => `${f.name}, DOB ${f.dob}, contact ${f.phone} or ${f.email}. Known ${f.condition}, ${f.severity}. Medication: ${f.drug}.`,
];

const pick = <T>(items: readonly T[], random: RandomSource): T => items[random.int(items.length)] as T;
const pad2 = (n: number): string => String(n).padStart(2, '0');

function dateString(random: RandomSource, fromYear: number, years: number, style: number): string {
  const y = fromYear + random.int(years);
  const m = 1 + random.int(12);
  const d = 1 + random.int(28);
  if (style === 0) return `${y}-${pad2(m)}-${pad2(d)}`;
  if (style === 1) return `${pad2(d)}/${pad2(m)}/${y}`;
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** International phone numbers in a few national layouts. */
function phoneNumber(random: RandomSource): string {
  const digits = (n: number): string => Array.from({ length: n }, () => String(random.int(10))).join('');
  switch (random.int(4)) {
    case 0:
      return `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
    case 1:
      return `+44 20 ${digits(4)} ${digits(4)}`;
    case 2:
      return `+1 (${2 + random.int(8)}${digits(2)}) ${digits(3)}-${digits(4)}`;
    default:
      return `+49 30 ${digits(8)}`;
  }
}

function sampleIndex(weights: readonly number[], random: RandomSource): number {
  let u = random.float() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length - 1; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/**
 * Generates the clinics. Patient ids and names are unique across clinics (a patient belongs to one
 * clinic, so patient-level DP in each clinic is patient-level DP for the federation).
 * @throws RangeError on counts that are not positive integers or an inverted notes range.
 */
export function generateClinics(o: ClinicalNotesOptions, random: RandomSource): Clinic[] {
  for (const [k, v] of [['clinics', o.clinics], ['patientsPerClinic', o.patientsPerClinic], ['notesPerPatient[0]', o.notesPerPatient[0]], ['notesPerPatient[1]', o.notesPerPatient[1]]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (o.notesPerPatient[1] < o.notesPerPatient[0]) throw new RangeError(`notesPerPatient must be [min, max] with min <= max, got [${o.notesPerPatient.join(', ')}]`);
  const alpha = o.siteAlpha ?? 0.3;
  const used = new Set<string>();
  const clinics: Clinic[] = [];
  for (let c = 0; c < o.clinics; c++) {
    const name = `${pick(['North', 'South', 'East', 'West', 'Central', 'Lake', 'River', 'Hill'], random)} ${pick(['Valley', 'Park', 'Bridge', 'Harbour', 'Gate', 'Field'], random)}`;
    const siteMix = sampleDirichlet(random, SITES.map(() => alpha));
    // Each clinic writes with its own 6 of the 10 templates.
    const templates = Array.from({ length: TEMPLATES.length }, (_, i) => i);
    for (let i = templates.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [templates[i], templates[j]] = [templates[j]!, templates[i]!];
    }
    const style = templates.slice(0, 6);
    const staff = Array.from({ length: 3 }, () => pick(STAFF, random));
    const mrnPrefix = String.fromCharCode(65 + c) + String.fromCharCode(65 + random.int(26));
    const patients: Patient[] = [];
    for (let p = 0; p < o.patientsPerClinic; p++) {
      let full: string;
      do full = `${pick(FIRST, random)} ${pick(LAST, random)}${used.size >= FIRST.length * LAST.length * 0.5 ? ` ${pick(LAST, random)}` : ''}`;
      while (used.has(full));
      used.add(full);
      const site = sampleIndex(siteMix, random);
      const pathology = random.int(PATHOLOGIES.length);
      const condition = site * PATHOLOGIES.length + pathology;
      const fixed = {
        name: full,
        dob: dateString(random, 1935, 70, random.int(3)),
        mrn: `${mrnPrefix}-${String(random.int(10_000_000)).padStart(7, '0')}`,
        phone: phoneNumber(random),
        email: `${full.toLowerCase().replace(/[^a-z]+/g, '.')}@mail.example`,
        condition: `${SITES[site]} ${PATHOLOGIES[pathology]}`,
        severity: pick(SEVERITIES, random),
        drug: DRUGS[(pathology + site) % DRUGS.length]!,
        clinic: name,
      };
      const count = o.notesPerPatient[0] + random.int(o.notesPerPatient[1] - o.notesPerPatient[0] + 1);
      const notes: string[] = [];
      for (let n = 0; n < count; n++) {
        const f: Fields = {
          ...fixed,
          dose: 5 * (1 + random.int(40)),
          weeks: 2 + random.int(11),
          date: dateString(random, 2021, 4, random.int(3)),
          staff: pick(staff, random),
          symptom: pick(SYMPTOMS, random),
          trend: pick(TRENDS, random),
          test: pick(TESTS, random),
          value: (random.int(2000) / 10).toFixed(1),
        };
        notes.push(TEMPLATES[n === 0 ? style[0]! : pick(style, random)]!(f));
      }
      patients.push({ id: `c${c}-p${p}`, name: full, condition, notes });
    }
    clinics.push({ index: c, name, register: [...new Set([...patients.map((p) => p.name), ...staff.map((s) => `Dr. ${s}`)])], patients });
  }
  return clinics;
}
