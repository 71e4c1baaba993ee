// Builds and runs sgemm-rate.c (OpenBLAS's SGEMM rate on this machine) for the LM benchmark:
// compiled with the system C compiler against OpenBLAS, or a reason why not.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Compiles the probe; a path to run, or why it could not be built. */
export async function buildSgemmRate(): Promise<{ ok: true; exe: string } | { ok: false; reason: string }> {
  const src = fileURLToPath(new URL('./sgemm-rate.c', import.meta.url));
  const exe = join(await mkdtemp(join(tmpdir(), 'fedtune-sgemm-')), 'sgemm-rate');
  let flags = ['-lopenblas'];
  try {
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'openblas']);
    flags = stdout.trim().split(/\s+/);
  } catch {
    // No pkg-config file: the plain library name, as Debian's libopenblas-dev provides.
  }
  try {
    await run('cc', ['-O2', '-o', exe, src, ...flags]);
    return { ok: true, exe };
  } catch (err) {
    return { ok: false, reason: `could not compile sgemm-rate.c against OpenBLAS (${(err as Error).message.split('\n')[0]}); scripts/ci-install-openblas.sh installs it` };
  }
}

/** OpenBLAS SGEMM GFLOP/s on n x n matrices with `threads` threads, median of `reps`. */
export async function sgemmRate(exe: string, n: number, threads: number, reps: number): Promise<number> {
  const { stdout } = await run(exe, [String(n), String(threads), String(reps)]);
  return Number(stdout.trim());
}
