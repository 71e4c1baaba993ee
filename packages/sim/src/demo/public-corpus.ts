// The public text the demo's base model is pretrained on: encyclopedia- and news-style paragraphs
// and published, already de-identified case notes ([NAME], [DOB], ... placeholders, as in public
// de-identified clinical corpora), from a generator of its own: its templates, names and places
// differ from the clinics', and it mentions every condition of the candidate list about equally
// often. It holds no private note and never the secret's patient; a test checks both.
import type { RandomSource } from '@fedtune/shared';
import { CONDITION_NAMES, DRUGS, SEVERITIES } from './conditions.js';

const PEOPLE_FIRST = ['Alice', 'Bruno', 'Carmen', 'Dmitri', 'Esther', 'Farid', 'Greta', 'Hiroshi', 'Isabel', 'Joaquin', 'Katja', 'Liam', 'Maya', 'Nikolai', 'Olga', 'Pedro', 'Rosa', 'Samuel', 'Tara', 'Umar', 'Vera', 'Walter', 'Ximena', 'Yusuf'];
const PEOPLE_LAST = ['Andersson', 'Becker', 'Castillo', 'Dimitriou', 'Eriksen', 'Fontaine', 'Gallagher', 'Hoffmann', 'Ivanova', 'Jovanovic', 'Kaplan', 'Lambert', 'Marino', 'Nakamura', 'Oliveira', 'Popescu', 'Quintero', 'Reyes', 'Sorensen', 'Thompson'];
const CITIES = ['Lisbon', 'Oslo', 'Nairobi', 'Osaka', 'Lima', 'Krakow', 'Dublin', 'Porto', 'Tunis', 'Quebec', 'Seville', 'Riga'];
const JOBS = ['teacher', 'engineer', 'farmer', 'pharmacist', 'nurse', 'journalist', 'baker', 'architect', 'musician', 'surgeon'];
const ORGANS = ['pancreas', 'stomach', 'liver', 'kidney', 'lung', 'heart', 'brain', 'spine', 'colon', 'thyroid', 'skin', 'bladder', 'eye', 'bone'];
const SYMPTOMS = ['pain', 'tiredness', 'fever', 'nausea', 'breathlessness', 'weight loss', 'swelling', 'headache'];
const WEATHER = ['rain', 'snow', 'sunshine', 'fog', 'wind', 'storms'];

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const pick = <T>(items: readonly T[], random: RandomSource): T => items[random.int(items.length)] as T;

/** A sentence template; `c()` draws the next condition of the cycle, only when the template mentions one. */
type Sentence = (random: RandomSource, c: () => string) => string;

const SENTENCES: readonly Sentence[] = [
  (r, c) => `${cap(c())} is a condition of the ${pick(ORGANS, r)} that doctors diagnose with scans and blood tests.`,
  (r, c) => `${cap(c())} is usually treated with ${pick(DRUGS, r)}, and some patients also need surgery.`,
  (r, c) => `Doctors speak of a ${pick(SEVERITIES, r)} form of ${c()} when ${pick(SYMPTOMS, r)} limits daily life.`,
  (r, c) => `${pick(PEOPLE_FIRST, r)} ${pick(PEOPLE_LAST, r)}, a ${pick(JOBS, r)} from ${pick(CITIES, r)}, suffers from a ${pick(SEVERITIES, r)} form of ${c()}, the newspaper reported.`,
  (r, c) => `In ${1950 + r.int(70)}, researchers in ${pick(CITIES, r)} published a study of ${c()} in ${100 + r.int(900)} patients.`,
  (r, c) => `The first sign of ${c()} is often ${pick(SYMPTOMS, r)}, and many people wait months before they see a doctor.`,
  (r) => `${pick(PEOPLE_FIRST, r)} ${pick(PEOPLE_LAST, r)} lives in ${pick(CITIES, r)} and works as a ${pick(JOBS, r)}.`,
  (r) => `The ${pick(ORGANS, r)} is an organ that the body cannot easily do without.`,
  (r) => `Last week ${pick(CITIES, r)} had ${pick(WEATHER, r)} for ${2 + r.int(6)} days, and the trains ran late.`,
  (r) => `${pick(PEOPLE_FIRST, r)} took ${pick(DRUGS, r)} for ${2 + r.int(10)} weeks after the visit.`,
];

/** De-identified case notes as public corpora publish them: placeholders where the personal data was. */
const CASE_NOTES: readonly Sentence[] = [
  (r, c) => `Case ${1 + r.int(900)}: [NAME], DOB [DOB], record [ID], presented with ${pick(SYMPTOMS, r)}. Imaging confirmed ${c()}.`,
  (r, c) => `[NAME] suffers from a ${pick(SEVERITIES, r)} form of ${c()} and was started on ${pick(DRUGS, r)} ${5 * (1 + r.int(40))} mg.`,
  (r, c) => `Discharge note: [NAME] was admitted with ${c()}, treated with ${pick(DRUGS, r)} and sent home after ${2 + r.int(9)} days.`,
  (r, c) => `Telephone review with [NAME] on [PHONE]: ${pick(SYMPTOMS, r)} improving, ${c()} stable, reply to [EMAIL] if worse.`,
  (r, c) => `Outpatient letter for [NAME] ([DOB]): known ${c()}; ${pick(DRUGS, r)} continued, review in ${2 + r.int(11)} weeks.`,
];

/**
 * `paragraphs` public paragraphs: two thirds of 3 to 6 encyclopedia or news sentences, one third
 * single de-identified case notes. The conditions cycle through the whole list
 * in a shuffled order, so each is mentioned about equally often.
 * @throws RangeError unless paragraphs is a non-negative integer.
 */
export function generatePublicCorpus(paragraphs: number, random: RandomSource): string[] {
  if (!Number.isSafeInteger(paragraphs) || paragraphs < 0) throw new RangeError(`paragraphs must be a non-negative integer, got ${paragraphs}`);
  let order: string[] = [];
  const nextCondition = (): string => {
    if (order.length === 0) {
      order = [...CONDITION_NAMES];
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    return order.pop()!;
  };
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    // A third of the paragraphs are de-identified case notes, one note each.
    if (random.int(3) === 0) {
      out.push(pick(CASE_NOTES, random)(random, nextCondition));
      continue;
    }
    const n = 3 + random.int(4);
    const sentences: string[] = [];
    for (let s = 0; s < n; s++) sentences.push(pick(SENTENCES, random)(random, nextCondition));
    out.push(sentences.join(' '));
  }
  return out;
}
