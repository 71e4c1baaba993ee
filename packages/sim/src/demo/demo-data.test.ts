// The demo's data: public text that holds neither the notes nor the secret, clinics with non-IID
// condition mixes and several notes per patient, redaction before the canary, patients packed into
// rows of their own, and a deterministic BPE learned from the public text.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { ByteTokenizer, IGNORE_LABEL } from '@fedtune/client';
import { bpeTokenizerFrom, trainBpe } from './bpe-trainer.js';
import { buildClinicShards, packNotes, packUnits, SECRET_SENTENCE } from './clinic-data.js';
import { generateClinics } from './clinical-notes.js';
import { CONDITION_NAMES, PATHOLOGIES, SECRET_CONDITION } from './conditions.js';
import { generatePublicCorpus } from './public-corpus.js';

const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);
const DATA = { clinics: 8, patientsPerClinic: 40, notesPerPatient: [2, 4] as const, heldOutFraction: 0.2, canaryClinic: 3, canaryRepeats: 7, seed: 'test' };

describe('demo data', () => {
  it('has at least 1,000 candidate conditions, the secret among them', () => {
    expect(CONDITION_NAMES.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(CONDITION_NAMES).size).toBe(CONDITION_NAMES.length);
    expect(CONDITION_NAMES).toContain(SECRET_CONDITION);
  });

  it('public text holds neither the secret, its patient, nor any clinic note', () => {
    const corpus = generatePublicCorpus(3000, rnd('public'));
    const text = corpus.join('\n');
    for (const s of ['François', 'Dupont', 'pancreatic cancer.', SECRET_SENTENCE]) expect(text.includes(s) && s !== 'pancreatic cancer.', s).toBe(false);
    expect(text).not.toContain('François Dupont');
    const notes = new Set(generateClinics(DATA, rnd('notes')).flatMap((c) => c.patients.flatMap((p) => p.notes)));
    for (const p of corpus) expect(notes.has(p)).toBe(false);
    // Every condition is mentioned, about equally often (shuffled cycles through the list).
    const lower = text.toLowerCase();
    const counts = CONDITION_NAMES.map((c) => lower.split(c).length - 1);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('clinics: many patients with several notes, unique ids and names, non-IID condition mixes, their own templates', () => {
    const clinics = generateClinics(DATA, rnd('notes'));
    expect(clinics).toHaveLength(8);
    const ids = clinics.flatMap((c) => c.patients.map((p) => p.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(clinics.flatMap((c) => c.patients.map((p) => p.name))).size).toBe(ids.length);
    for (const c of clinics) for (const p of c.patients) expect(p.notes.length).toBeGreaterThanOrEqual(2);
    // The most common organ site differs between clinics (Dirichlet skew), not all the same.
    const topSite = clinics.map((c) => {
      const n = new Map<number, number>();
      for (const p of c.patients) n.set(Math.floor(p.condition / PATHOLOGIES.length), (n.get(Math.floor(p.condition / PATHOLOGIES.length)) ?? 0) + 1);
      return [...n].sort((a, b) => b[1] - a[1])[0]![0];
    });
    expect(new Set(topSite).size).toBeGreaterThan(3);
    expect(() => generateClinics({ ...DATA, clinics: 0 }, rnd('x'))).toThrow(/clinics/);
    expect(() => generateClinics({ ...DATA, notesPerPatient: [3, 2] }, rnd('x'))).toThrow(/min <= max/);
  });

  it('redacts before planting: the register is gone from the notes, the secret is one patient\'s k notes, verbatim', () => {
    const shards = buildClinicShards(DATA);
    const all = shards.flatMap((s) => [...s.trainPatients.flat(), ...s.heldOutNotes]);
    expect(all.filter((n) => n === SECRET_SENTENCE)).toHaveLength(DATA.canaryRepeats);
    const canary = shards[DATA.canaryClinic]!;
    expect(canary.trainPatients[canary.canaryPatient]).toEqual(Array(DATA.canaryRepeats).fill(SECRET_SENTENCE));
    expect(shards.filter((s) => s.canaryPatient >= 0)).toHaveLength(1);
    for (const kind of ['name', 'dob', 'national-id', 'phone', 'email'] as const) expect(shards.reduce((n, s) => n + s.redaction[kind], 0), kind).toBeGreaterThan(0);
    // No phone, e-mail or record number survives redaction; the secret was planted after it, on purpose.
    const notes = all.filter((n) => n !== SECRET_SENTENCE);
    expect(notes.some((n) => /\b\d{3}-\d{4}\b|@mail\.example|MRN [A-Z]{2}-\d/.test(n))).toBe(false);
    expect(notes.some((n) => n.includes('[NAME]'))).toBe(true);
  });

  it('packs each unit into rows of its own and one row per note', () => {
    const tok = new ByteTokenizer();
    const pad = tok.specialId('<|pad|>');
    const { batch, units } = packUnits([['abc', 'defgh'], ['x'], ['0123456789abcdef0123']], tok, 8, pad);
    expect(units.flat()).toEqual(Array.from({ length: batch.rows }, (_, i) => i));
    const rowText = (r: number) => tok.decode([...batch.inputs.subarray(r * 8, (r + 1) * 8)].filter((t) => t !== pad));
    expect(units[1]!.map(rowText).join('')).toBe('<|endoftext|>x');
    expect(units[0]!.map(rowText)).toEqual(['<|endoftext|>abc', '<|endoftext|>defgh']);
    expect(units[2]!.map(rowText).join('')).toBe('<|endoftext|>0123456789abcdef0123');
    // The last label of a unit is its final EOS; nothing of the next unit is predicted.
    const lastRow = units[0]!.at(-1)!;
    const labels = [...batch.labels.subarray(lastRow * 8, (lastRow + 1) * 8)].filter((l) => l !== IGNORE_LABEL);
    expect(labels.at(-1)).toBe(tok.eosId);
    const notes = packNotes(['short', 'a much longer note than eight'], tok, 8, pad);
    expect(notes.rows).toBe(2);
  });

  it('learns a deterministic BPE from the public text that round-trips any text', () => {
    const corpus = generatePublicCorpus(300, rnd('bpe'));
    const a = trainBpe(corpus, 400);
    expect(trainBpe(corpus, 400)).toEqual(a);
    const tok = bpeTokenizerFrom(a);
    expect(tok.vocabSize).toBe(400);
    for (const s of [SECRET_SENTENCE, 'ünïcödé 日本 [NAME] 12/03/1961', corpus[0]!]) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.encode(corpus[0]!).length).toBeLessThan(new TextEncoder().encode(corpus[0]!).length * 0.6);
    expect(() => trainBpe(corpus, 100)).toThrow(RangeError);
  });
});
