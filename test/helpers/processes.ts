// Child processes for end-to-end tests: the installed commands, the examples and packed installs,
// with their output captured, a wait for a line, and SIGKILL at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A command installed in the workspace root's node_modules/.bin. */
export const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);

export interface Running {
  child: ChildProcess;
  /** Resolves with the exit code (128 + signal number when killed by a signal). */
  exited: Promise<number>;
  /** Resolves with the first match of `re` in stdout (or stderr with `stream: 'err'`), past or future. */
  line(re: RegExp, stream?: 'out' | 'err'): Promise<RegExpMatchArray>;
  output(): { out: string; err: string };
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function runProcess(command: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Running {
  const child = spawn(command, [...args], { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const text = { out: '', err: '' };
  child.stdout!.on('data', (d: Buffer) => (text.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text.err += d.toString()));
  if (process.env.FEDTUNE_TEST_LOG === '1') child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 1))));
  const line = (re: RegExp, stream: 'out' | 'err' = 'out') =>
    new Promise<RegExpMatchArray>((resolve) => {
      const source = stream === 'out' ? child.stdout! : child.stderr!;
      const check = () => {
        const m = text[stream].match(re);
        if (m) {
          source.off('data', check);
          resolve(m);
        }
      };
      source.on('data', check);
      check();
    });
  return { child, exited, line, output: () => ({ ...text }) };
}

/** An installed workspace command by name. */
export function runBin(name: string, args: readonly string[], env: Record<string, string> = {}): Running {
  return runProcess(bin(name), args, { env });
}

/** pnpm as the test was started with (`pnpm test`), else through npx: [command, args]. */
export function pnpmCommand(args: readonly string[]): [string, string[]] {
  const execpath = process.env.npm_execpath;
  return execpath?.includes('pnpm') === true ? [process.execPath, [execpath, ...args]] : ['npx', ['-y', 'pnpm@10', ...args]];
}
