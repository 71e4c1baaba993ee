// The embedded SQLite store: the Store conformance suite on a file and in memory, plus what only a
// file shows: nothing sealed is readable on disk, and one writer per store.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, weightsVersion } from '@fedtune/shared';
import { describeStoreConformance, summary, type StoreOpenOptions } from '../../test/store-conformance.js';
import { SqliteStore } from './sqlite-store.js';

const open = (path: string, o: StoreOpenOptions = {}, readonly = false) =>
  SqliteStore.open({ path, crypto: nodeCryptoProvider, retention: o.retention ?? { keepLast: 10, keepEvery: 0 }, key: o.key ?? null, readonly });

describeStoreConformance('SqliteStore (file)', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'fedtune-store-')), 'fedtune.db');
  return { open: (o) => open(path, o) };
});

describe('SqliteStore', () => {
  it('in memory passes the single-process part of the contract', async () => {
    const store = await open(':memory:');
    const w = { tensors: [{ name: 'w', shape: [3] }], data: new Float32Array([1, 2, 3]) };
    const version = weightsVersion(nodeCryptoProvider, w);
    await store.commitRound({ round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, ledger: [], participants: [], at: 1 });
    expect((await store.runState())!.modelVersion).toBe(version);
    await store.close();
  });

  it('keeps sealed values unreadable on disk: no weight bytes, no ledger text, no strategy state', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'fedtune-sealed-')), 'fedtune.db');
    const data = new Float32Array(4096).map((_, i) => Math.fround(1.2345 + i * 1e-3));
    const w = { tensors: [{ name: 'w', shape: [4096] }], data };
    const version = weightsVersion(nodeCryptoProvider, w);
    for (const key of [null, new Uint8Array(32).fill(1)]) {
      const p = `${path}-${key === null ? 'plain' : 'sealed'}`;
      const store = await open(p, { key });
      const ledger = [{ round: 1, mode: 'central' as const, clip: 1, event: { kind: 'sampled-discrete-gaussian' as const, samplingRate: 0.123456789, noiseMultiplier: 1.1 } }];
      await store.commitRound({ round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, strategyState: { secretMoment: 'moment-0123456789' }, ledger, participants: [], at: 1 });
      await store.close();
      const disk = Buffer.concat([await readFile(p), await readFile(`${p}-wal`).catch(() => Buffer.alloc(0))]);
      const weightBytes = Buffer.from(data.buffer).subarray(0, 64);
      // The plain store shows them (so the search works); the sealed one shows none.
      expect(disk.includes(weightBytes)).toBe(key === null);
      expect(disk.includes(Buffer.from('0.123456789'))).toBe(key === null);
      expect(disk.includes(Buffer.from('moment-0123456789'))).toBe(key === null);
    }
  });

  it('one writer per store: a second open is refused while the first holds it, readers are not', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'fedtune-lock-')), 'fedtune.db');
    const first = await open(path);
    await expect(open(path)).rejects.toMatchObject({ code: 'FT_ERR_STORE', message: expect.stringMatching(/already open/) });
    const reader = await open(path, {}, true);
    expect(await reader.runState()).toBeNull();
    await reader.close();
    await first.close();
    await (await open(path)).close();
  });

  it('refuses a file that is not a store, and a read-only open of nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-bad-'));
    await expect(open(join(dir, 'absent.db'), {}, true)).rejects.toMatchObject({ code: 'FT_ERR_STORE' });
    const junk = join(dir, 'junk.db');
    await import('node:fs/promises').then((fs) => fs.writeFile(junk, 'not a database, just text'.repeat(100)));
    await expect(open(junk)).rejects.toMatchObject({ code: 'FT_ERR_STORE' });
  });
});
