import { describe, expect, it } from 'vitest';
import { formatRedactionReport, redactPii } from './redact.js';

describe('PII redaction', () => {
  it('replaces each kind with a typed placeholder and counts it', () => {
    const { documents, report } = redactPii([
      'Contact jane.doe@clinic.example or +33 6 12 34 56 78; MRN 4581923; seen 2026-03-14 and 3/4/2025.',
      'Dr. Martin reviewed the scan at https://pacs.example/study/77 from 10.0.12.7 on 14 March 2026.',
      'Take 2 tablets twice a day for 10 days; doses 10 20 30 mg.',
    ]);
    expect(documents[0]).toBe('Contact [EMAIL] or [PHONE]; MRN [ID]; seen [DATE] and [DATE].');
    expect(documents[1]).toBe('[NAME] reviewed the scan at [URL] from [IP] on [DATE].');
    expect(documents[2]).toBe('Take 2 tablets twice a day for 10 days; doses 10 20 30 mg.');
    expect(report.counts).toEqual({ email: 1, url: 1, ip: 1, phone: 1, date: 3, id: 1, name: 1 });
    expect(report.documentsTouched).toBe(2);
    expect(formatRedactionReport(report)).toBe('redacted 9 items in 2 of 3 documents (email 1, url 1, ip 1, phone 1, date 3, id 1, name 1)');
  });

  it('removes listed names as whole words, including accented ones, and nothing else', () => {
    const { documents, report } = redactPii(['François Dupont suffers from 123456. Françoise is fine.', 'Dupontel called.'], { names: ['François Dupont', 'Dupont'] });
    expect(documents).toEqual(['[NAME] suffers from [ID]. Françoise is fine.', 'Dupontel called.']);
    expect(report.counts.name).toBe(1);
  });

  it('is idempotent and refuses non-strings', () => {
    const once = redactPii(['Mail a@b.co at 2026-01-02, ID 99999.']).documents;
    expect(redactPii(once).documents).toEqual(once);
    expect(() => redactPii([42 as unknown as string])).toThrow(TypeError);
  });
});
