// The simulation harness end to end: the fedtune-sim CLI with a real tfjs MLP, an embedded
// coordinator and nodes over loopback sockets, Dirichlet label skew and injected dropouts.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../packages/sim/src/cli/sim-cli.js';
import type { SimulationReport } from '@fedtune/sim';

describe('fedtune-sim', () => {
  it('runs 8 MLP nodes with label skew and dropouts; accuracy rises; the report keeps its field names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-sim-'));
    const report = join(dir, 'r.json');
    let stdout = '';
    const code = await main(
      ['run', '--clients', '8', '--rounds', '4', '--model', 'mlp', '--dataset', 'synthetic-classification', '--partition', 'dirichlet:0.5', '--dropout', '0.15', '--seed', '7', '--backend', 'cpu', '--report', report, '--quiet'],
      (s) => (stdout += s),
      () => {},
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/rounds completed/);
    const r = JSON.parse(await readFile(report, 'utf8')) as SimulationReport;
    expect(Object.keys(r)).toEqual(['config', 'rounds', 'final']);
    expect(r.rounds).toHaveLength(4);
    for (const round of r.rounds) {
      for (const key of ['round', 'selected', 'survivors', 'dropped', 'trainLoss', 'evalLoss', 'evalAccuracy', 'epsilon', 'delta', 'uploadBytesPerClient', 'durationMs']) {
        expect(round).toHaveProperty(key);
      }
      expect(round.epsilon).toBeNull();
    }
    expect(r.rounds.some((x) => x.dropped > 0)).toBe(true);
    const acc = r.rounds.map((x) => x.evalAccuracy!);
    expect(acc.at(-1)!).toBeGreaterThan(acc[0]! + 0.05);
    expect(r.final.backend).toBe('cpu');
  });

  it('federates LoRA adapters of gpt-tiny: validation perplexity falls round over round; upload is adapter-sized', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-lm-'));
    const run = async (model: string, rounds: number) => {
      const report = join(dir, `${model}.json`);
      const code = await main(['run', '--clients', '3', '--rounds', String(rounds), '--model', model, '--dataset', 'synthetic-notes', '--seed', '3', '--backend', 'wasm', '--report', report, '--quiet'], () => {}, () => {});
      expect(code).toBe(0);
      return JSON.parse(await readFile(report, 'utf8')) as SimulationReport;
    };
    const lora = await run('gpt-tiny-lora', 3);
    const ppl = lora.rounds.map((r) => r.evalMetrics.perplexity!);
    expect(ppl.every((p) => Number.isFinite(p))).toBe(true);
    for (let i = 1; i < ppl.length; i++) expect(ppl[i]!).toBeLessThan(ppl[i - 1]!);
    const full = await run('gpt-tiny', 1);
    // Only adapters travel: a fraction of the full model's upload.
    expect(lora.rounds[0]!.uploadBytesPerClient!).toBeLessThan(full.rounds[0]!.uploadBytesPerClient! / 2);
  });

  it('runs the canary experiment: all three arms audited, the DP arms within their epsilon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-canary-'));
    const report = join(dir, 'canary.json');
    let table = '';
    const code = await main(['canary', '--clients', '3', '--rounds', '1', '--repeats', '4', '--candidates', '50', '--epsilon', '4', '--backend', 'wasm', '--report', report], (s) => (table += s), () => {});
    expect(code).toBe(0);
    expect(table).toMatch(/canary exposure, bits/);
    expect(table).toMatch(/membership inference AUC \(canary node\)\s+0\.\d{3}/);
    expect(table).toMatch(/epsilon per node \(record-level\)/);
    const r = JSON.parse(await readFile(report, 'utf8')) as { secret: string; arms: { name: string; exposure: { maxBits: number; exposureEmpirical: number }; report: SimulationReport; nodeEpsilons: number[] | null }[] };
    expect(r.secret).toMatch(/^[0-9]{6}$/);
    expect(r.arms.map((a) => a.name)).toEqual(['no DP', 'SecAgg + distributed DP (epsilon 4)', 'local DP-SGD (record-level, z 1, epsilon per node)']);
    for (const a of r.arms) expect(a.exposure.exposureEmpirical).toBeLessThanOrEqual(Math.log2(51) + 1e-9);
    expect(r.arms[1]!.report.rounds.at(-1)!.epsilon!).toBeLessThanOrEqual(4);
    // Local DP-SGD: every node accounts for itself; the round carries the largest node's epsilon.
    const local = r.arms[2]!;
    expect(local.nodeEpsilons).toHaveLength(3);
    for (const e of local.nodeEpsilons!) expect(e > 0 && Number.isFinite(e)).toBe(true);
    expect(local.report.rounds.at(-1)!.epsilon!).toBeCloseTo(Math.max(...local.nodeEpsilons!), 9);
  });

  it('prints help and refuses bad flags with exit code 2', async () => {
    let out = '';
    let err = '';
    expect(await main(['run', '--help'], (s) => (out += s), () => {})).toBe(0);
    expect(out).toContain('--partition');
    expect(await main(['run', '--partition', 'dirichlet:-1'], () => {}, (s) => (err += s))).toBe(2);
    expect(err).toContain('--partition');
    expect(await main(['run', '--clients', 'many'], () => {}, () => {})).toBe(2);
    expect(await main(['run', '--model', 'nope'], () => {}, () => {})).toBe(2);
    expect(await main(['run', '--dp', 'distributed', '--noise', '1'], () => {}, () => {})).toBe(2);
    expect(await main(['run', '--dp', 'central'], () => {}, () => {})).toBe(2);
    expect(await main(['run', '--backend', 'quantum'], () => {}, () => {})).toBe(2);
    err = '';
    expect(await main(['run', '--secagg', '--dp', 'distributed', '--noise', '1', '--dp-noise', 'laplace'], () => {}, (s) => (err += s))).toBe(2);
    expect(err).toContain('--dp-noise must be discrete-gaussian or skellam');
    expect(await main(['run', '--dp', 'central', '--noise', '1', '--dp-noise', 'skellam'], () => {}, () => {})).toBe(2);
    expect(out).toContain('--workers N');
    err = '';
    expect(await main(['run', '--workers', '1.5'], () => {}, (s) => (err += s))).toBe(2);
    expect(err).toContain('--workers must be an integer >= 0');
  });
});
