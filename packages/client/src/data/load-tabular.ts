// Loads a node's tabular data for `fedtune-client join`: CSV with a header row (RFC 4180, parsed
// by csv-parse: quoted fields, embedded commas and newlines, a BOM), or JSONL with one object per
// line; numeric feature columns and an integer label column. Both are streamed into growing typed
// arrays, so a million rows need neither a copy per row nor a stack frame per value.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse, CsvError } from 'csv-parse';
import { FedtuneError } from '@fedtune/shared';
import type { LabelledData } from './dataset.js';

/** What a loaded file says about its labels, for the node's log. */
export interface TabularSummary {
  rows: number;
  /** The largest label seen (the classes inferred are this + 1 without numClasses). */
  maxLabel: number;
  /** Whether the number of classes came from the caller or from this file's labels. */
  classesFrom: 'given' | 'inferred';
}

/** Float32 and Int32 columns that grow by doubling. */
class Columns {
  features: Float32Array;
  labels = new Int32Array(64);
  rows = 0;
  maxLabel = -1;

  constructor(readonly width: number) {
    this.features = new Float32Array(Math.max(1, width) * 64);
  }

  push(values: readonly number[], label: number): void {
    if ((this.rows + 1) * this.width > this.features.length) {
      const f = new Float32Array(this.features.length * 2);
      f.set(this.features);
      this.features = f;
    }
    if (this.rows + 1 > this.labels.length) {
      const l = new Int32Array(this.labels.length * 2);
      l.set(this.labels);
      this.labels = l;
    }
    this.features.set(values, this.rows * this.width);
    this.labels[this.rows] = label;
    if (label > this.maxLabel) this.maxLabel = label;
    this.rows++;
  }
}

/** A decimal comma in a quoted field ("1,5") is a decimal, as spreadsheets in many locales write it. */
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') return NaN;
  const t = raw.trim();
  if (t === '') return NaN;
  return Number(DECIMAL_COMMA.test(t) ? t.replace(',', '.') : t);
}

function badValue(path: string, line: number, column: string, raw: unknown, what: string): FedtuneError {
  const shown = typeof raw === 'string' ? JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw) : JSON.stringify(raw) ?? String(raw);
  return new FedtuneError('FT_ERR_CONFIG', `${path}:${line}: column ${JSON.stringify(column)}: ${shown} ${what}`);
}

/** Columns of one row: features in header order, then the label. @throws FedtuneError naming file, line and column. */
function rowOf(path: string, line: number, record: Record<string, unknown>, columns: readonly string[], labelColumn: string): { values: number[]; label: number } {
  const values = columns.map((c) => {
    const v = toNumber(record[c]);
    if (!Number.isFinite(v)) throw badValue(path, line, c, record[c], 'is not a finite number');
    return v;
  });
  const label = toNumber(record[labelColumn]);
  if (!Number.isSafeInteger(label) || label < 0 || label > 2 ** 31 - 1) throw badValue(path, line, labelColumn, record[labelColumn], 'is not a class index (an integer >= 0)');
  return { values, label };
}

async function loadCsv(path: string, labelColumn: string): Promise<Columns> {
  const parser = createReadStream(path).pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim()), bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: false }),
  );
  let cols: Columns | null = null;
  let features: string[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
      if (cols === null) {
        const header = Object.keys(record);
        if (!header.includes(labelColumn)) throw new FedtuneError('FT_ERR_CONFIG', `${path}:1: no ${JSON.stringify(labelColumn)} column in the header (${header.slice(0, 10).map((h) => JSON.stringify(h)).join(', ')}); name the label column with --label-column`);
        features = header.filter((h) => h !== labelColumn);
        cols = new Columns(features.length);
      }
      const { values, label } = rowOf(path, info.lines, record, features, labelColumn);
      cols.push(values, label);
    }
  } catch (err) {
    if (err instanceof FedtuneError) throw err;
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new FedtuneError('FT_ERR_CONFIG', `${path}${line === undefined ? '' : `:${line}`}: ${err.message.replace(/^Invalid [^:]+: /, '')}`);
    }
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${(err as Error).message}`);
  }
  return cols ?? new Columns(0);
}

async function loadJsonl(path: string, labelColumn: string): Promise<Columns> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let cols: Columns | null = null;
  let features: string[] = [];
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        throw new FedtuneError('FT_ERR_CONFIG', `${path}:${n}: not JSON`);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new FedtuneError('FT_ERR_CONFIG', `${path}:${n}: not a JSON object`);
      const r = record as Record<string, unknown>;
      if (cols === null) {
        features = Object.keys(r).filter((k) => k !== labelColumn);
        cols = new Columns(features.length);
      }
      const keys = Object.keys(r).filter((k) => k !== labelColumn);
      if (keys.length !== features.length || keys.some((k) => !features.includes(k))) throw new FedtuneError('FT_ERR_CONFIG', `${path}:${n}: fields differ from the first row's (${features.slice(0, 10).join(', ')})`);
      const { values, label } = rowOf(path, n, r, features, labelColumn);
      cols.push(values, label);
    }
  } catch (err) {
    if (err instanceof FedtuneError) throw err;
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${(err as Error).message}`);
  }
  return cols ?? new Columns(0);
}

/**
 * Loads `path` (CSV, or JSONL when it ends in .jsonl). Without `numClasses` the classes are this
 * file's largest label + 1, which differs between nodes that lack a class: give every node the same.
 * @throws FedtuneError FT_ERR_CONFIG naming the file, line and column of the first bad value.
 */
export async function loadTabular(path: string, labelColumn = 'label', numClasses?: number): Promise<LabelledData & { summary: TabularSummary }> {
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${(e as Error).message}`);
  }
  const cols = path.endsWith('.jsonl') ? await loadJsonl(path, labelColumn) : await loadCsv(path, labelColumn);
  if (cols.rows === 0) throw new FedtuneError('FT_ERR_CONFIG', `${path} has no rows`);
  const classes = numClasses ?? cols.maxLabel + 1;
  if (cols.maxLabel >= classes) throw new FedtuneError('FT_ERR_CONFIG', `${path}: label ${cols.maxLabel} is >= --classes ${classes}`);
  return {
    features: cols.features.slice(0, cols.rows * cols.width),
    labels: cols.labels.slice(0, cols.rows),
    numFeatures: cols.width,
    numClasses: classes,
    summary: { rows: cols.rows, maxLabel: cols.maxLabel, classesFrom: numClasses === undefined ? 'inferred' : 'given' },
  };
}
