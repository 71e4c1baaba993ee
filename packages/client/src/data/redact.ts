// PII redaction before training (on by default for text an edge node trains on): finds e-mail
// addresses, international phone numbers (E.164 lengths, ITU-T E.164), payment card numbers that
// pass the Luhn check (ISO/IEC 7812-1), IBANs that pass the mod-97 check (ISO 13616 / ISO 7064),
// US Social Security numbers with a valid layout (SSA area/group/serial rules), national-ID
// patterns a node adds, IPv4/IPv6 addresses, URLs that carry credentials (RFC 3986 userinfo),
// dates of birth (a date after "born", "DOB", "date of birth", ...: other dates stay), and person
// names (a shipped given name followed by a capitalised word, a title and a name, or a name from
// the node's own register), and replaces each with a typed placeholder. The report counts by type,
// never values. Pattern-based: a name nobody listed and no title introduces is not found; a
// named-entity recogniser could sit behind the same interface.
import { SHIPPED_GIVEN_NAMES } from './given-names.js';

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'national-id', 'ip', 'url', 'dob', 'name'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface RedactionReport {
  /** Replacements made, by kind. */
  counts: Record<PiiKind, number>;
  /** Documents with at least one replacement. */
  documentsTouched: number;
  documents: number;
}

export interface RedactOptions {
  /** The node's register: full names removed wherever they appear as whole words (case-sensitive). */
  names?: readonly string[];
  /** National-ID or record-number patterns the node adds (each match becomes [ID]); the global flag is added. */
  nationalIds?: readonly RegExp[];
  /** Use the shipped given-name list (default true). */
  shippedNames?: boolean;
}

/** Where one item of PII sits in a text: [start, end) in UTF-16 code units. */
export interface PiiSpan {
  kind: PiiKind;
  start: number;
  end: number;
}

export const PLACEHOLDERS: Readonly<Record<PiiKind, string>> = Object.freeze({
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  ssn: '[SSN]',
  'national-id': '[ID]',
  ip: '[IP]',
  url: '[URL]',
  dob: '[DOB]',
  name: '[NAME]',
});

/** Luhn (ISO/IEC 7812-1 annex B) over a string of decimal digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN check (ISO 13616-1; ISO 7064 MOD 97-10): spaces ignored, 15 to 34 characters, remainder 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = v > 9 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** A US SSN's layout rules (SSA): area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

const MONTHS = 'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
const DATE = `(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[/.]\\d{1,2}[/.]\\d{2,4}|\\d{1,2} (?:${MONTHS}) \\d{4}|(?:${MONTHS}) \\d{1,2},? \\d{4})`;
const TITLES = 'Dr|Mr|Mrs|Ms|Mx|Mme|Mlle|Prof|Sr|Sra';
/** Capitalised words that make "Given Word" a place or an institution, not a person. */
const PLACE_WORDS = '(?:Airport|Avenue|Bay|Bridge|Building|Centre|Center|Clinic|College|Hall|Hospital|Lake|Park|Place|River|Road|Square|Station|Street|University)';
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const digitCount = (s: string): number => s.replace(/\D/g, '').length;

type Detector = (text: string, push: (kind: PiiKind, start: number, end: number) => void) => void;

function byRegex(kind: PiiKind, re: RegExp, accept: (m: RegExpExecArray) => boolean = () => true, group = 0): Detector {
  return (text, push) => {
    for (const m of text.matchAll(re)) {
      if (!accept(m)) continue;
      const start = group === 0 ? m.index : m.index + m[0].indexOf(m[group]!);
      push(kind, start, start + (m[group] ?? m[0]).length);
    }
  };
}

/**
 * Card numbers: a run of digit groups; the longest leading groups holding 13 to 19 digits that pass
 * Luhn (so a card followed by other numbers is still found, and a Luhn failure is left alone).
 */
const cardDetector: Detector = (text, push) => {
  // No card number starts with 0 (ISO/IEC 7812 major industry identifiers 1-9: "0044 ..." is a
  // phone), and digits after an IBAN's country and check digits are its account number.
  for (const m of text.matchAll(/(?<![A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})* ?)\b[1-9]\d*(?:[ -]\d+)*\b/g)) {
    // Leading groups only while they hold at most 19 digits: linear in the run, however long.
    const groups: { end: number; digits: string }[] = [];
    let digits = '';
    for (const g of m[0].matchAll(/\d+/g)) {
      digits += g[0];
      if (digits.length > 19) break;
      groups.push({ end: g.index + g[0].length, digits });
    }
    for (let n = groups.length - 1; n >= 0; n--) {
      const d = groups[n]!.digits;
      if (d.length < 13 || !luhnValid(d)) continue;
      push('card', m.index, m.index + groups[n]!.end);
      break;
    }
  }
};

/** A compiled redactor; build one per node and reuse it across documents. */
export class Redactor {
  private readonly detectors: Detector[];

  /** @throws TypeError when names are not strings or nationalIds not RegExps. */
  constructor(options: RedactOptions = {}) {
    const names = (options.names ?? []).map((n, i) => {
      if (typeof n !== 'string') throw new TypeError(`names[${i}] is not a string`);
      return n.trim();
    }).filter((n) => n.length > 0);
    const ids = (options.nationalIds ?? []).map((r, i) => {
      if (!(r instanceof RegExp)) throw new TypeError(`nationalIds[${i}] is not a RegExp`);
      return new RegExp(r.source, r.flags.includes('g') ? r.flags : r.flags + 'g');
    });
    const given = options.shippedNames === false ? [] : SHIPPED_GIVEN_NAMES;
    // Earlier detectors win where spans overlap: the most specific shapes first.
    this.detectors = [
      byRegex('url', /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]*@[^\s<>"]*[^\s<>".,;:!?)]/g),
      byRegex('email', /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g),
      byRegex('iban', /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, (m) => ibanValid(m[0])),
      cardDetector,
      byRegex('ssn', /\b(\d{3})-(\d{2})-(\d{4})\b/g, (m) => ssnValid(m[1]!, m[2]!, m[3]!)),
      byRegex('ssn', /\b(?:SSN|social security(?: number)?)[:#\s]*((\d{3}) ?(\d{2}) ?(\d{4}))\b/gi, (m) => ssnValid(m[2]!, m[3]!, m[4]!), 1),
      ...ids.map((re) => byRegex('national-id', re)),
      byRegex('ip', /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]*\d)/g, (m) => !/(?:version|v)\s*$/i.test(m.input!.slice(Math.max(0, m.index - 9), m.index))),
      byRegex('ip', /(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)(?![\w:])/g, (m) => /[A-Fa-f]|::/.test(m[0]) && /::|(?:.*:){7}/.test(m[0])),
      byRegex('dob', new RegExp(`\\b(?:born(?: on)?|DOB|D\\.O\\.B\\.?|date of birth|birth ?date|birthday|née? le)[\\s:,(-]*(${DATE})`, 'gi'), () => true, 1),
      byRegex('phone', /(?<![\w+.-])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?!\d)/g, (m) => digitCount(m[0]) >= 8 && digitCount(m[0]) <= 15),
      byRegex('phone', /(?<![\w+])\(\d{3}\) ?\d{3}-\d{4}(?!\d)/g),
      ...(names.length === 0 ? [] : [byRegex('name', new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...names].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'gu'))]),
      byRegex('name', new RegExp(`\\b(?:${TITLES})\\.? [A-Z][\\p{L}'-]+(?: [A-Z][\\p{L}'-]+)?`, 'gu')),
      // A given name then one or two capitalised words, unless the next word makes it a place ("Sofia Airport").
      ...(given.length === 0 ? [] : [byRegex('name', new RegExp(`(?<![\\p{L}\\p{N}])(?:${given.map(escapeRegExp).join('|')})(?: (?!${PLACE_WORDS}\\b)[A-Z][\\p{L}'-]+){1,2}(?![\\p{L}\\p{N}])`, 'gu'))]),
    ];
  }

  /** Every item of PII in `text`, non-overlapping, by position. @throws TypeError when text is not a string. */
  find(text: string): PiiSpan[] {
    if (typeof text !== 'string') throw new TypeError('find: text is not a string');
    const taken = new Uint8Array(text.length);
    const spans: PiiSpan[] = [];
    for (const detect of this.detectors) {
      detect(text, (kind, start, end) => {
        for (let i = start; i < end; i++) if (taken[i] === 1) return;
        taken.fill(1, start, end);
        spans.push({ kind, start, end });
      });
    }
    return spans.sort((a, b) => a.start - b.start);
  }

  /** `text` with each item replaced by its placeholder; `counts` is updated in place. */
  redact(text: string, counts: Record<PiiKind, number>): string {
    let out = '';
    let at = 0;
    for (const s of this.find(text)) {
      out += text.slice(at, s.start) + PLACEHOLDERS[s.kind];
      counts[s.kind]++;
      at = s.end;
    }
    return out + text.slice(at);
  }
}

export function emptyCounts(): Record<PiiKind, number> {
  return Object.fromEntries(PII_KINDS.map((k) => [k, 0])) as Record<PiiKind, number>;
}

/**
 * Redacts every document. Placeholders are never themselves redacted, so redacting twice changes nothing.
 * @throws TypeError when a document is not a string (naming its index), or as Redactor.
 */
export function redactPii(documents: readonly string[], options: RedactOptions = {}): { documents: string[]; report: RedactionReport } {
  const redactor = new Redactor(options);
  const counts = emptyCounts();
  let documentsTouched = 0;
  const out = documents.map((doc, i) => {
    if (typeof doc !== 'string') throw new TypeError(`document ${i} is not a string`);
    const before = Object.values(counts).reduce((a, b) => a + b, 0);
    const red = redactor.redact(doc, counts);
    if (Object.values(counts).reduce((a, b) => a + b, 0) > before) documentsTouched++;
    return red;
  });
  return { documents: out, report: { counts, documentsTouched, documents: documents.length } };
}

/** One line for logs: "redacted 12 items in 9 of 40 documents (dob 4, name 5, phone 3)". */
export function formatRedactionReport(r: RedactionReport): string {
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return `redacted ${total} items in ${r.documentsTouched} of ${r.documents} documents${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
