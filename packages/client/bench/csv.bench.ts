// Loading a node's tabular data (issue 11, item 10): a million-row CSV through csv-parse, streamed
// into typed arrays, in rows per second and peak extra memory.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTabular } from '../src/data/load-tabular.js';
import type { BenchFn } from '../../../scripts/bench-types.js';

export const bench: BenchFn = async ({ tiny }) => {
  const rows = tiny ? 2_000 : 1_000_000;
  const columns = 10;
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-csv-bench-'));
  const path = join(dir, 'data.csv');
  try {
    const out = createWriteStream(path);
    out.write([...Array(columns).keys()].map((j) => `f${j}`).join(',') + ',label\n');
    for (let i = 0; i < rows; i += 1000) {
      let chunk = '';
      for (let r = i; r < Math.min(rows, i + 1000); r++) chunk += Array.from({ length: columns }, (_, j) => ((r * 31 + j * 7) % 1000) / 100).join(',') + `,${r % 10}\n`;
      out.write(chunk);
    }
    await new Promise<void>((r) => out.end(r));
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const data = await loadTabular(path, 'label', 10);
    const ms = performance.now() - t0;
    const after = process.memoryUsage().rss;
    return [
      { name: `load ${rows} rows x ${columns} features (CSV, csv-parse)`, value: Math.round(rows / (ms / 1000)), unit: 'rows/s', note: `${(ms / 1000).toFixed(2)} s` },
      { name: 'RSS growth while loading', value: Math.round((after - before) / 2 ** 20), unit: 'MiB', note: `the arrays hold ${((data.features.byteLength + data.labels.byteLength) / 2 ** 20).toFixed(0)} MiB` },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
