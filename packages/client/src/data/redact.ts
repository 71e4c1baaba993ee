// PII redaction before training (on by default for text an edge node trains on): replaces e-mail
// addresses, phone numbers, dates, long digit runs (record numbers, IDs, account numbers), IP
// addresses, URLs, titled names ("Dr. Martin") and any names the node lists, with typed
// placeholders, and reports what it removed. Pattern-based: it cannot find names it was not given
// or that carry no title; a named-entity recogniser would, and can sit behind the same interface.

export type PiiKind = 'email' | 'url' | 'ip' | 'phone' | 'date' | 'id' | 'name';

export interface RedactionReport {
  /** Replacements made, by kind. */
  counts: Record<PiiKind, number>;
  /** Documents with at least one replacement. */
  documentsTouched: number;
  documents: number;
}

export interface RedactOptions {
  /** Person names to remove wherever they appear as whole words (case-sensitive). */
  names?: readonly string[];
}

const PLACEHOLDER: Record<PiiKind, string> = {
  email: '[EMAIL]',
  url: '[URL]',
  ip: '[IP]',
  phone: '[PHONE]',
  date: '[DATE]',
  id: '[ID]',
  name: '[NAME]',
};

const MONTHS = 'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';

/** Order matters: longer, more specific patterns first, so an e-mail is not half-eaten as a URL. */
const PATTERNS: readonly [PiiKind, RegExp][] = [
  ['email', /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g],
  ['url', /\bhttps?:\/\/[^\s<>"]+/g],
  ['ip', /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g],
  ['date', new RegExp(`\\b(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[/.]\\d{1,2}[/.]\\d{2,4}|\\d{1,2} (?:${MONTHS}) \\d{4}|(?:${MONTHS}) \\d{1,2},? \\d{4})\\b`, 'g')],
  ['phone', /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\b\d{1,4}(?:[ .-]\d{2,4}){2,5}\b/g],
  ['id', /\b\d{5,}\b/g],
  ['name', /\b(?:Dr|Mr|Mrs|Ms|Mme|Mlle|Prof)\.? [A-Z][\p{L}'-]+(?: [A-Z][\p{L}'-]+)?/gu],
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Redacts one text; `counts` is updated in place. */
function redactOne(text: string, counts: Record<PiiKind, number>, names: RegExp | null): string {
  let out = text;
  if (names !== null) {
    out = out.replace(names, () => {
      counts.name++;
      return PLACEHOLDER.name;
    });
  }
  for (const [kind, re] of PATTERNS) {
    out = out.replace(re, (match) => {
      // A phone number has at least 7 digits; "10 20 30" is a list of numbers.
      if (kind === 'phone' && match.replace(/\D/g, '').length < 7) return match;
      counts[kind]++;
      return PLACEHOLDER[kind];
    });
  }
  return out;
}

/**
 * Redacts every document. Placeholders are never themselves redacted, so redacting twice changes nothing.
 * @throws TypeError when a document is not a string.
 */
export function redactPii(documents: readonly string[], options: RedactOptions = {}): { documents: string[]; report: RedactionReport } {
  const counts: Record<PiiKind, number> = { email: 0, url: 0, ip: 0, phone: 0, date: 0, id: 0, name: 0 };
  const listed = (options.names ?? []).map((n) => n.trim()).filter((n) => n.length > 0);
  const names = listed.length === 0 ? null : new RegExp(`(?<![\\p{L}\\p{N}])(?:${listed.sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  let documentsTouched = 0;
  const out = documents.map((doc, i) => {
    if (typeof doc !== 'string') throw new TypeError(`document ${i} is not a string`);
    const before = Object.values(counts).reduce((a, b) => a + b, 0);
    const red = redactOne(doc, counts, names);
    if (Object.values(counts).reduce((a, b) => a + b, 0) > before) documentsTouched++;
    return red;
  });
  return { documents: out, report: { counts, documentsTouched, documents: documents.length } };
}

/** One line for logs: "redacted 12 items in 9 of 40 documents (date 4, id 3, name 5)". */
export function formatRedactionReport(r: RedactionReport): string {
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return `redacted ${total} items in ${r.documentsTouched} of ${r.documents} documents${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
