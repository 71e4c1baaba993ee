// A generated, labelled corpus for measuring PII redaction: sentences carrying one item of each
// type at a known span, and look-alike negatives that a careless detector takes for PII (numbers
// that fail Luhn or mod-97, invalid SSN layouts, dates that are not birth dates, version numbers,
// times, URLs without credentials, places named like people). Scored per type by exact span match.
import type { RandomSource } from '@fedtune/shared';
import { PII_KINDS, type PiiKind, type PiiSpan, type Redactor } from './redact.js';
import { SHIPPED_GIVEN_NAMES } from './given-names.js';

export interface LabelledText {
  text: string;
  spans: PiiSpan[];
}

/** The record-number pattern the corpus's national-id items follow, as a node would add it. */
export const CORPUS_RECORD_PATTERN = /\b[A-Z]{2}-\d{7}\b/;
/** Full names only the node's register knows (not in the shipped given names). */
export const CORPUS_REGISTER = ['Thandiwe Mokoena', 'Siosaia Fifita', 'Bolat Nurlanov', 'Ngozi Eze'];

const SURNAMES = ['Okafor', 'Lindqvist', 'Moreau', 'Haddad', 'Kowalski', 'Tanaka', 'Silva', 'Novak', 'Fischer', 'Mensah', 'Iyer', 'Dubois'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pick = <T>(items: readonly T[], r: RandomSource): T => items[r.int(items.length)] as T;
const digits = (n: number, r: RandomSource): string => Array.from({ length: n }, () => String(r.int(10))).join('');
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A number of `length` digits starting with `prefix`, with a Luhn check digit (valid) or a wrong one. */
function cardNumber(prefix: string, length: number, valid: boolean, r: RandomSource): string {
  const body = prefix + digits(length - prefix.length - 1, r);
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return body + String(valid ? check : (check + 1 + r.int(9)) % 10);
}

function groupCard(n: string, r: RandomSource): string {
  const sep = pick([' ', '-', ''], r);
  return n.length === 15 ? [n.slice(0, 4), n.slice(4, 10), n.slice(10)].join(sep) : n.match(/.{1,4}/g)!.join(sep);
}

const IBAN_LAYOUTS: readonly [string, (r: RandomSource) => string][] = [
  ['DE', (r) => digits(18, r)],
  ['FR', (r) => digits(10, r) + 'A' + digits(10, r) + digits(2, r)],
  ['GB', (r) => 'NWBK' + digits(14, r)],
  ['NL', (r) => 'ABNA' + digits(10, r)],
  ['ES', (r) => digits(20, r)],
];

function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = v > 9 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem;
}

function iban(valid: boolean, r: RandomSource): string {
  const [cc, bban] = pick(IBAN_LAYOUTS, r);
  const b = bban(r);
  const check = 98 - mod97(b + cc + '00');
  const cd = valid ? check : ((check + 1 + r.int(90)) % 97) + 2;
  const s = cc + pad2(cd) + b;
  return r.int(2) === 0 ? s.match(/.{1,4}/g)!.join(' ') : s;
}

function date(r: RandomSource, from: number, span: number): string {
  const y = from + r.int(span);
  const m = 1 + r.int(12);
  const d = 1 + r.int(28);
  return pick([`${y}-${pad2(m)}-${pad2(d)}`, `${pad2(d)}/${pad2(m)}/${y}`, `${d} ${MONTHS[m - 1]} ${y}`, `${MONTHS[m - 1]} ${d}, ${y}`], r);
}

function phone(r: RandomSource): string {
  return pick<(r: RandomSource) => string>([
    (x) => `+33 6 ${digits(2, x)} ${digits(2, x)} ${digits(2, x)} ${digits(2, x)}`,
    (x) => `+44 20 ${digits(4, x)} ${digits(4, x)}`,
    (x) => `+1 (${2 + x.int(8)}${digits(2, x)}) ${digits(3, x)}-${digits(4, x)}`,
    (x) => `+49 30 ${digits(8, x)}`,
    (x) => `+81 3-${digits(4, x)}-${digits(4, x)}`,
    (x) => `+91 ${digits(5, x)} ${digits(5, x)}`,
    (x) => `0044 20 ${digits(4, x)} ${digits(4, x)}`,
    (x) => `+27 21 ${digits(3, x)} ${digits(4, x)}`,
  ], r)(r);
}

function ssn(valid: boolean, r: RandomSource): string {
  if (valid) return `${String(1 + r.int(665)).padStart(3, '0')}-${pad2(1 + r.int(99))}-${String(1 + r.int(9999)).padStart(4, '0')}`;
  return pick([`000-${pad2(1 + r.int(99))}-${digits(4, r)}`, `666-${pad2(1 + r.int(99))}-${digits(4, r)}`, `9${digits(2, r)}-${pad2(1 + r.int(99))}-${digits(4, r)}`, `${100 + r.int(500)}-00-${digits(4, r)}`], r);
}

type Piece = string | { kind: PiiKind; value: string };
type Sentence = (r: RandomSource) => Piece[];

const POSITIVE: Record<PiiKind, Sentence[]> = {
  email: [(r) => ['Please write to ', { kind: 'email', value: `${pick(SURNAMES, r).toLowerCase()}.${digits(2, r)}@clinic-${r.int(9)}.example.org` }, ' before Friday.'], (r) => ['Contact: ', { kind: 'email', value: `${pick(SHIPPED_GIVEN_NAMES, r).toLowerCase().replace(/[^a-z]/g, '')}+notes@mail.example` }]],
  phone: [(r) => ['Call the patient on ', { kind: 'phone', value: phone(r) }, ' after 5 pm.'], (r) => ['Mobile ', { kind: 'phone', value: phone(r) }, '.']],
  card: [
    (r) => {
      const [prefix, length] = pick<[string, number]>([['4', 16], ['51', 16], ['55', 16], ['37', 15], ['6011', 16]], r);
      return ['Paid with card ', { kind: 'card', value: groupCard(cardNumber(prefix, length, true, r), r) }, ' at the desk.'];
    },
  ],
  iban: [(r) => ['Refund to IBAN ', { kind: 'iban', value: iban(true, r) }, '.']],
  ssn: [(r) => ['SSN ', { kind: 'ssn', value: ssn(true, r) }, ' on file.'], (r) => ['Insurance form lists ', { kind: 'ssn', value: ssn(true, r) }, '.']],
  'national-id': [(r) => ['Record ', { kind: 'national-id', value: `${String.fromCharCode(65 + r.int(26))}${String.fromCharCode(65 + r.int(26))}-${digits(7, r)}` }, ' updated.']],
  ip: [(r) => ['Login from ', { kind: 'ip', value: `${1 + r.int(223)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}` }, ' was blocked.'], (r) => ['Device at ', { kind: 'ip', value: `2001:db8:${r.int(65536).toString(16)}::${(1 + r.int(65535)).toString(16)}` }, ' synced.']],
  url: [(r) => ['Images at ', { kind: 'url', value: `https://${pick(SURNAMES, r).toLowerCase()}:${digits(6, r)}@pacs.example/study/${digits(3, r)}` }, ' for review.'], (r) => ['Export to ', { kind: 'url', value: `ftp://admin:s3cret${digits(2, r)}@files.example/out` }, '.']],
  dob: [(r) => ['Patient born ', { kind: 'dob', value: date(r, 1930, 80) }, ', seen today.'], (r) => ['DOB: ', { kind: 'dob', value: date(r, 1930, 80) }, '.'], (r) => ['Date of birth ', { kind: 'dob', value: date(r, 1930, 80) }, ' confirmed.']],
  name: [(r) => ['Seen with ', { kind: 'name', value: `${pick(SHIPPED_GIVEN_NAMES, r)} ${pick(SURNAMES, r)}` }, ' today.'], (r) => ['Referred by ', { kind: 'name', value: `Dr. ${pick(SURNAMES, r)}` }, '.'], (r) => ['Visit from ', { kind: 'name', value: pick(CORPUS_REGISTER, r) }, ' went well.']],
};

/** Look-alikes that are not PII of any type. */
const NEGATIVE: Sentence[] = [
  (r) => [`Order ${groupCard(cardNumber(pick(['4', '51', '6011'], r), 16, false, r), r)} was shipped.`],
  (r) => [`Transfer ref ${iban(false, r)} rejected.`],
  (r) => [`Form code ${ssn(false, r)} is a template number.`],
  (r) => [`Seen on ${date(r, 2015, 10)} for follow-up.`],
  (r) => [`Admitted ${date(r, 2015, 10)}, discharged two days later.`],
  (r) => [`Installed version ${r.int(10)}.${r.int(20)}.${r.int(20)}.${r.int(100)} of the viewer.`],
  (r) => [`Scan started at ${pad2(r.int(24))}:${pad2(r.int(60))}:${pad2(r.int(60))} and took 20 minutes.`],
  (r) => [`Guidelines at https://guidelines.example/${pick(SURNAMES, r).toLowerCase()}?page=${r.int(40)} apply.`],
  (r) => [`Doses of ${5 * (1 + r.int(9))} ${10 * (1 + r.int(9))} ${20 * (1 + r.int(9))} mg were tried; BP ${100 + r.int(60)}/${60 + r.int(30)}.`],
  (r) => [`Lab value ${r.int(1000)}.${r.int(10)} and count ${digits(6, r)} recorded.`],
  (r) => [pick(['Flight via Sofia Airport was delayed.', 'They walked along the Charles River.', 'The Monday Clinic moved to the Clara Lake building.', 'Samples went to Lucia Park for the run.', 'Met at Elena Street station.'], r)],
];

/**
 * `count` documents of 2 to 5 sentences, about half of the sentences carrying one item of PII.
 * @throws RangeError unless count is a non-negative integer.
 */
export function generatePiiCorpus(count: number, random: RandomSource): LabelledText[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const out: LabelledText[] = [];
  for (let d = 0; d < count; d++) {
    let text = '';
    const spans: PiiSpan[] = [];
    const n = 2 + random.int(4);
    for (let s = 0; s < n; s++) {
      const pieces = random.int(2) === 0 ? pick(POSITIVE[pick(PII_KINDS, random)], random)(random) : pick(NEGATIVE, random)(random);
      text += s === 0 ? '' : ' ';
      for (const p of pieces) {
        if (typeof p === 'string') text += p;
        else {
          spans.push({ kind: p.kind, start: text.length, end: text.length + p.value.length });
          text += p.value;
        }
      }
    }
    out.push({ text, spans });
  }
  return out;
}

export interface KindScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** tp / (tp + fp); 1 when nothing was predicted. */
  precision: number;
  /** tp / (tp + fn); 1 when nothing was there. */
  recall: number;
}

/** Precision and recall per type, a prediction counting only when kind and span match exactly. */
export function scoreRedaction(corpus: readonly LabelledText[], redactor: Redactor): Record<PiiKind, KindScore> {
  const tally = Object.fromEntries(PII_KINDS.map((k) => [k, { tp: 0, fp: 0, fn: 0 }])) as Record<PiiKind, { tp: number; fp: number; fn: number }>;
  for (const doc of corpus) {
    const gold = new Map(doc.spans.map((s) => [`${s.kind}:${s.start}:${s.end}`, s]));
    const found = new Set<string>();
    for (const p of redactor.find(doc.text)) {
      const key = `${p.kind}:${p.start}:${p.end}`;
      if (gold.has(key)) {
        tally[p.kind].tp++;
        found.add(key);
      } else tally[p.kind].fp++;
    }
    for (const [key, s] of gold) if (!found.has(key)) tally[s.kind].fn++;
  }
  return Object.fromEntries(
    PII_KINDS.map((k) => {
      const { tp, fp, fn } = tally[k];
      return [k, { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) }];
    }),
  ) as Record<PiiKind, KindScore>;
}
