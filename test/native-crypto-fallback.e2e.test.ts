// The shipped (dist) code on both keystream paths, in fresh processes: with the native addon where
// it is built, and with FEDTUNE_NATIVE_CRYPTO=0, which is what a machine where the addon failed to
// build runs (the loader finds nothing and keeps to node:crypto, in the UnmaskPool's workers too).
// Both must give the PRG's pinned output (packages/shared/src/secagg/prg.test.ts) and the same
// unmasked sum on the worker pool as on one thread.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from './helpers/processes.js';

const SCRIPT = join(process.cwd(), 'test', 'fixtures', 'keystream-paths.mjs');

async function run(env: Record<string, string>) {
  const p = runProcess(process.execPath, [SCRIPT], { env });
  const code = await p.exited;
  expect(code, p.output().err).toBe(0);
  return JSON.parse(p.output().out) as { status: { inUse: boolean; reason?: string }; full: string; fused: boolean; poolMatches: boolean };
}

describe('keystream fallback in the shipped code', () => {
  it('FEDTUNE_NATIVE_CRYPTO=0: node:crypto everywhere, same PRG bytes, same unmasked sum on the pool', async () => {
    const r = await run({ FEDTUNE_NATIVE_CRYPTO: '0' });
    expect(r.status).toEqual({ inUse: false, reason: 'disabled by FEDTUNE_NATIVE_CRYPTO=0' });
    expect(r.fused).toBe(false);
    expect(r.full).toBe('70a1bd2ce216076451cf9a462ef12465c5377475fe8f2f6c81ed41a3f696e9ca');
    expect(r.poolMatches).toBe(true);
  });

  it('default: the native addon where it is built (else the reason), the same bytes either way', async () => {
    const r = await run({});
    expect(r.fused).toBe(r.status.inUse);
    expect(r.full).toBe('70a1bd2ce216076451cf9a462ef12465c5377475fe8f2f6c81ed41a3f696e9ca');
    expect(r.poolMatches).toBe(true);
  });
});
