// Node data as a user would have it: CSV files with a header row, numeric features and a `label`
// column, one per node, cut from one seeded synthetic classification set.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { syntheticClassification, takeRows } from '@fedtune/client';
import { partitionIid } from '@fedtune/sim';

/** Writes `nodes` CSV shards of `rows` rows in total under `dir`; resolves with their paths. */
export async function writeCsvShards(dir: string, nodes: number, rows = 300, seed = 'csv'): Promise<string[]> {
  const r = seededRandom(nodeCryptoProvider, seed);
  const data = syntheticClassification(r, { rows });
  return Promise.all(
    partitionIid(rows, nodes, r).map(async (shard, i) => {
      const s = takeRows(data, shard);
      const lines = [[...Array(s.numFeatures).keys()].map((j) => `f${j}`).join(',') + ',label'];
      for (let k = 0; k < s.labels.length; k++) lines.push([...s.features.subarray(k * s.numFeatures, (k + 1) * s.numFeatures)].map((x) => x.toFixed(4)).join(',') + `,${s.labels[k]}`);
      const f = join(dir, `node${i}.csv`);
      await writeFile(f, lines.join('\n'));
      return f;
    }),
  );
}
