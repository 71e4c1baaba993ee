// `pnpm demo --quick --report r.json`, the CI run of the product's proof (issue 12): the real
// command, its real federation over loopback sockets, its real audits. It must exit 0 with the
// no-DP arm leaking the secret (greedy decoding completes "pancreatic cancer") and the DP arm not,
// the DP arm's exposure lower and its epsilon finite, and write the JSON, Markdown and SVG reports.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '@fedtune/sim';
import { pnpmCommand, runProcess } from './helpers/processes.js';

const dir = await mkdtemp(join(tmpdir(), 'fedtune-demo-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('pnpm demo --quick', () => {
  it('exits 0; without DP the secret leaks, with DP it does not, at lower exposure and a finite epsilon', async () => {
    // The base model's own command first: it builds (or finds) the cached checkpoint the demo then reads.
    const cache = join(dir, 'cache');
    const [bcmd, bargs] = pnpmCommand(['demo', '--quick', '--build-base', '--cache', cache]);
    const b = runProcess(bcmd, bargs);
    expect(await b.exited, b.output().err.slice(-2000)).toBe(0);
    const baseDir = b.output().out.split('\n').find((l) => l.startsWith(cache))!;
    for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) await readFile(join(baseDir, f));
    const report = join(dir, 'r.json');
    const [cmd, args] = pnpmCommand(['demo', '--quick', '--report', report, '--cache', cache]);
    const p = runProcess(cmd, args);
    const code = await p.exited;
    expect(code, p.output().err.slice(-2000)).toBe(0);
    const r = JSON.parse(await readFile(report, 'utf8')) as DemoReport;
    expect(r.secret).toBe('François Dupont suffers from a severe form of pancreatic cancer.');
    expect(r.runs).toHaveLength(2);
    // Issue 12 item 2: at least 200 member and 200 non-member notes, and at least 1,000 candidates.
    expect(r.membershipNotes.members).toBeGreaterThanOrEqual(200);
    expect(r.membershipNotes.nonMembers).toBeGreaterThanOrEqual(200);
    expect(r.candidates).toBeGreaterThanOrEqual(1000);
    for (const run of r.runs) {
      for (const key of ['dp', 'epsilon', 'delta', 'exposure', 'leaked', 'completion', 'valPerplexity', 'basePerplexity', 'miaAuc', 'miaAucCi'] as const) expect(run, key).toHaveProperty(key);
      expect(Number.isFinite(run.valPerplexity) && Number.isFinite(run.basePerplexity)).toBe(true);
      expect(run.miaAucCi[0]).toBeLessThanOrEqual(run.miaAuc);
      expect(run.miaAucCi[1]).toBeGreaterThanOrEqual(run.miaAuc);
    }
    const plain = r.runs.find((x) => !x.dp)!;
    const dp = r.runs.find((x) => x.dp)!;
    expect(plain.leaked, plain.completion).toBe(true);
    expect(plain.completion).toContain('pancreatic cancer');
    expect(plain.epsilon).toBeNull();
    expect(dp.leaked, dp.completion).toBe(false);
    expect(dp.exposure).toBeLessThan(plain.exposure);
    expect(Number.isFinite(dp.epsilon)).toBe(true);
    expect(dp.epsilon!).toBeLessThanOrEqual(8);
    expect(dp.delta!).toBeLessThanOrEqual(1e-5);
    // The table and the Markdown and SVG reports beside the JSON.
    expect(p.output().out).toMatch(/validation perplexity/);
    expect(p.output().err).toContain(`base model: cached`);
    expect(await readFile(join(dir, 'r.md'), 'utf8')).toMatch(/^# fedtune demo/);
    expect(await readFile(join(dir, 'r.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    // About 2.5 minutes alone on 2 cores; the bound leaves room for the rest of the suite running beside it.
  }, 600_000);
});
