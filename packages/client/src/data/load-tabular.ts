// Loads a node's tabular data for `fedtune-client join`: CSV with a header row, or JSONL with one
// object per line; numeric feature columns and an integer label column.
import { readFile } from 'node:fs/promises';
import { FedtuneError } from '@fedtune/shared';
import type { LabelledData } from './dataset.js';

/** @throws FedtuneError FT_ERR_CONFIG naming the file, line and column of the first bad value. */
export async function loadTabular(path: string, labelColumn = 'label', numClasses?: number): Promise<LabelledData> {
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${e.message}`);
  });
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const rows: Record<string, unknown>[] = [];
  if (path.endsWith('.jsonl')) {
    lines.forEach((l, i) => {
      try {
        rows.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        throw new FedtuneError('FT_ERR_CONFIG', `${path}:${i + 1}: not JSON`);
      }
    });
  } else {
    const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
    lines.forEach((l) => rows.push(Object.fromEntries(l.split(',').map((v, j) => [header[j] ?? `c${j}`, v.trim()]))));
  }
  if (rows.length === 0) throw new FedtuneError('FT_ERR_CONFIG', `${path} has no rows`);
  const columns = Object.keys(rows[0]!).filter((c) => c !== labelColumn);
  const features = new Float32Array(rows.length * columns.length);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    columns.forEach((c, j) => {
      const v = Number(row[c]);
      if (!Number.isFinite(v)) throw new FedtuneError('FT_ERR_CONFIG', `${path} row ${i + 1} column ${c}: ${JSON.stringify(row[c])} is not a finite number`);
      features[i * columns.length + j] = v;
    });
    const y = Number(row[labelColumn]);
    if (!Number.isSafeInteger(y) || y < 0) throw new FedtuneError('FT_ERR_CONFIG', `${path} row ${i + 1}: label ${JSON.stringify(row[labelColumn])} is not a class index`);
    labels[i] = y;
  });
  const classes = numClasses ?? Math.max(...labels) + 1;
  if (labels.some((y) => y >= classes)) throw new FedtuneError('FT_ERR_CONFIG', `${path}: a label is >= --classes ${classes}`);
  return { features, labels, numFeatures: columns.length, numClasses: classes };
}
