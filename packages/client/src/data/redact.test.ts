import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { formatRedactionReport, ibanValid, luhnValid, PII_KINDS, Redactor, redactPii, ssnValid } from './redact.js';
import { CORPUS_RECORD_PATTERN, CORPUS_REGISTER, generatePiiCorpus, scoreRedaction } from './pii-corpus.js';

describe('PII redaction', () => {
  it('replaces each kind with a typed placeholder and counts it by type', () => {
    const { documents, report } = redactPii(
      [
        'Mail jane.doe@clinic.example or call +33 6 12 34 56 78; card 4111 1111 1111 1111; IBAN GB82 WEST 1234 5698 7654 32.',
        'SSN 078-05-1120, record AB-1234567, login from 10.0.12.7 and 2001:db8::7, export ftp://admin:pw@files.example/out.',
        'Marie Rossi, born 14/03/1961, was seen by Dr. Martin and Thandiwe Mokoena on 2026-03-14.',
      ],
      { names: ['Thandiwe Mokoena'], nationalIds: [/\b[A-Z]{2}-\d{7}\b/] },
    );
    expect(documents).toEqual([
      'Mail [EMAIL] or call [PHONE]; card [CARD]; IBAN [IBAN].',
      'SSN [SSN], record [ID], login from [IP] and [IP], export [URL].',
      '[NAME], born [DOB], was seen by [NAME] and [NAME] on 2026-03-14.',
    ]);
    expect(report.counts).toEqual({ email: 1, phone: 1, card: 1, iban: 1, ssn: 1, 'national-id': 1, ip: 2, url: 1, dob: 1, name: 3 });
    expect(report.documentsTouched).toBe(3);
    expect(formatRedactionReport(report)).toBe('redacted 13 items in 3 of 3 documents (email 1, phone 1, card 1, iban 1, ssn 1, national-id 1, ip 2, url 1, dob 1, name 3)');
  });

  it('leaves look-alikes alone: Luhn and mod-97 failures, invalid SSNs, other dates, versions, times, plain URLs, places', () => {
    const text = [
      'Order 4111 1111 1111 1112 shipped; ref GB82 WEST 1234 5698 7654 33; form 000-12-3456 and 666-12-3456 and 123-00-4567.',
      'Seen on 14/03/2024, version 1.2.3.4, scan at 10:30:15, see https://guidelines.example/a?b=1, via Sofia Airport.',
      'Doses 10 20 30 mg; BP 120/80; count 123456.',
    ];
    const { documents, report } = redactPii(text);
    expect(documents).toEqual(text);
    expect(Object.values(report.counts).every((n) => n === 0)).toBe(true);
  });

  it('reports counts by type and never a value', () => {
    const secret = ['Ngozi Eze', '4111 1111 1111 1111', 'ngozi@mail.example'];
    const { report } = redactPii([`${secret[0]} paid with ${secret[1]}, receipt to ${secret[2]}.`], { names: ['Ngozi Eze'] });
    const json = JSON.stringify(report);
    for (const s of secret) expect(json).not.toContain(s);
    expect(Object.keys(report.counts)).toEqual([...PII_KINDS]);
  });

  it('is idempotent (property: any text, any options) and removes listed names as whole words only', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const once = redactPii([s], { names: ['Eze'] }).documents;
        expect(redactPii(once, { names: ['Eze'] }).documents).toEqual(once);
      }),
      { numRuns: 300 },
    );
    const { documents } = redactPii(['François Dupont suffers. Françoise is fine.', 'Dupontel called.'], { names: ['François Dupont', 'Dupont'], shippedNames: false });
    expect(documents).toEqual(['[NAME] suffers. Françoise is fine.', 'Dupontel called.']);
  });

  it('refuses hostile options and documents, naming them', () => {
    expect(() => redactPii([42 as unknown as string])).toThrow(/document 0/);
    expect(() => new Redactor({ names: [7 as unknown as string] })).toThrow(/names\[0\]/);
    expect(() => new Redactor({ nationalIds: ['\\d+' as unknown as RegExp] })).toThrow(/nationalIds\[0\]/);
    expect(() => new Redactor().find(null as unknown as string)).toThrow(TypeError);
    // 200 KB of digits and separators: the detectors are linear, so this returns (the test timeout bounds it).
    const long = '1 2-3 '.repeat(40_000) + '+44 20 1234 5678';
    expect(new Redactor().find(long).at(-1)?.kind).toBe('phone');
  });
});

describe('checksums (known answers from the standards and the issuers published test numbers)', () => {
  it('Luhn (ISO/IEC 7812-1): the standard example 79927398713, and card networks test numbers', () => {
    for (const ok of ['79927398713', '4111111111111111', '5555555555554444', '378282246310005', '6011111111111117']) expect(luhnValid(ok), ok).toBe(true);
    for (const bad of ['79927398710', '4111111111111112', '', '12a4']) expect(luhnValid(bad), bad).toBe(false);
  });

  it('mod-97 (ISO 13616 / ISO 7064): the ECBS examples, and every single-character change fails (property)', () => {
    for (const ok of ['GB82 WEST 1234 5698 7654 32', 'DE89 3704 0044 0532 0130 00', 'FR14 2004 1010 0505 0001 3M02 606', 'NL91 ABNA 0417 1643 00']) expect(ibanValid(ok), ok).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    const iban = 'DE89370400440532013000';
    fc.assert(
      fc.property(fc.integer({ min: 4, max: iban.length - 1 }), fc.integer({ min: 1, max: 9 }), (i, add) => {
        const changed = iban.slice(0, i) + String((Number(iban[i]) + add) % 10) + iban.slice(i + 1);
        expect(ibanValid(changed)).toBe(false);
      }),
    );
  });

  it('Luhn catches every single-digit change (property)', () => {
    const card = '4111111111111111';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: card.length - 1 }), fc.integer({ min: 1, max: 9 }), (i, add) => {
        expect(luhnValid(card.slice(0, i) + String((Number(card[i]) + add) % 10) + card.slice(i + 1))).toBe(false);
      }),
    );
  });

  it('SSN layout (SSA): area 000, 666 and 9xx, group 00 and serial 0000 are never issued', () => {
    expect(ssnValid('078', '05', '1120')).toBe(true);
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000']]) expect(ssnValid(a!, g!, s!)).toBe(false);
  });
});

/**
 * The figures docs/privacy.md records ("Redaction, measured"): 800 generated documents, seed
 * 'pii-corpus-1', exact span match per type. A change that lowers any of them fails here.
 */
const RECORDED: Record<(typeof PII_KINDS)[number], { precision: number; recall: number }> = {
  email: { precision: 1, recall: 1 },
  phone: { precision: 1, recall: 1 },
  card: { precision: 1, recall: 1 },
  iban: { precision: 1, recall: 1 },
  ssn: { precision: 1, recall: 1 },
  'national-id': { precision: 1, recall: 1 },
  ip: { precision: 1, recall: 1 },
  url: { precision: 1, recall: 1 },
  dob: { precision: 1, recall: 1 },
  name: { precision: 1, recall: 1 },
};

describe('precision and recall per type on the labelled corpus (regression)', () => {
  it('meets the recorded figures for every type', () => {
    const corpus = generatePiiCorpus(800, seededRandom(nodeCryptoProvider, 'pii-corpus-1'));
    const scores = scoreRedaction(corpus, new Redactor({ names: CORPUS_REGISTER, nationalIds: [CORPUS_RECORD_PATTERN] }));
    for (const kind of PII_KINDS) {
      const s = scores[kind];
      // Each type is present and has look-alikes around it, so a score is never vacuous.
      expect(s.truePositives + s.falseNegatives, kind).toBeGreaterThan(100);
      expect(s.precision, `${kind} precision`).toBeGreaterThanOrEqual(RECORDED[kind].precision);
      expect(s.recall, `${kind} recall`).toBeGreaterThanOrEqual(RECORDED[kind].recall);
    }
  });

  it('without the shipped names, the register or the national-id pattern, recall of those types drops (the corpus is not trivial)', () => {
    const corpus = generatePiiCorpus(300, seededRandom(nodeCryptoProvider, 'pii-corpus-1'));
    const scores = scoreRedaction(corpus, new Redactor({ shippedNames: false }));
    expect(scores.name.recall).toBeLessThan(0.5);
    expect(scores['national-id'].recall).toBe(0);
  });
});
