// Native libraries (Dawn, the Vulkan driver) write warnings straight to file descriptor 2, where no
// JavaScript can intercept them. Unless the user asks for --verbose, a command re-runs itself in a
// child process whose stderr passes through a line filter that drops that known noise.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Lines native GPU libraries print that say nothing to a user of fedtune. */
export const NATIVE_NOISE: readonly RegExp[] = [
  /^Warning: \w+ artificially reduced from \d+ to \d+/, // Dawn's limit clamps on Vulkan
  /^WARNING: lavapipe is not a conformant vulkan implementation/, // Mesa's software driver
  /^MESA: warning: /,
];

const CHILD_ENV = 'FEDTUNE_QUIET_NATIVE_CHILD';

/** True for a line that NATIVE_NOISE drops. */
export function isNativeNoise(line: string): boolean {
  return NATIVE_NOISE.some((re) => re.test(line));
}

/**
 * Runs `command` with native noise filtered out of stderr. In the parent it spawns this same
 * script again (stdin and stdout inherited, stderr filtered, signals forwarded) and resolves with
 * the child's exit code; in that child, or with --verbose / --help / --version in `argv`, it runs
 * `command` in this process. The child exits when its parent dies, even by SIGKILL.
 */
export async function withQuietNative(argv: readonly string[], command: () => Promise<number>): Promise<number> {
  if (process.env[CHILD_ENV] === '1') {
    // The IPC channel closes when the parent dies; unref'd, it does not keep this process alive.
    process.on('disconnect', () => process.exit(129));
    process.channel?.unref();
    return command();
  }
  if (argv.some((a) => a === '--verbose' || a === '--help' || a === '-h' || a === '--version' || a === '-V') || process.argv[1] === undefined) return command();
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    if (!isNativeNoise(line)) process.stderr.write(`${line}\n`);
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  await new Promise<void>((resolve) => (lines.once('close', resolve), child.stderr!.readableEnded && resolve()));
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  if (code !== null) return code;
  return 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : signal === 'SIGKILL' ? 9 : 1);
}
