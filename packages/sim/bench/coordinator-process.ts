// For benchmarks that measure the coordinator alone: `fedtune-coordinator serve` in its own process
// (the compiled bin, as an operator runs it), its URL, and its resident memory read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resident set size now, in MiB (Linux /proc), or NaN elsewhere. */
  rssMb(): Promise<number>;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../coordinator/bin/fedtune-coordinator.mjs', import.meta.url));

export async function startServe(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<ServeProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-bench-serve-'));
  const file = join(dir, 'coordinator.json');
  // Its own store: serve keeps one in ./fedtune-data otherwise, and a later run would resume it.
  await writeFile(file, JSON.stringify({ host: '127.0.0.1', port: 0, logLevel: 'error', dataDir: join(dir, 'store'), ...config }));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fedtune-coordinator serve exited with ${code} before listening`)));
  });
  return {
    url,
    child,
    rssMb: async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
      } catch {
        return NaN;
      }
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
