// One writing coordinator per store file: a lock file beside the database holding the writer's
// process id. A lock left by a process that no longer runs (kill -9, a crash) is taken over; one
// held by a live process is refused, so two coordinators never interleave rounds in one run.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { FedtuneError } from '@fedtune/shared';

/** Paths this process holds (a second open in the same process is refused too). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock for `dbPath` and returns its release.
 * @throws FedtuneError FT_ERR_STORE when a live process (or this one) holds it.
 */
export function lockStore(dbPath: string): () => void {
  const lockPath = `${dbPath}.lock`;
  if (held.has(lockPath)) throw new FedtuneError('FT_ERR_STORE', `${dbPath} is already open for writing in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new FedtuneError('FT_ERR_STORE', `cannot create ${lockPath}: ${(err as Error).message}`);
      let pid = NaN;
      try {
        pid = Number(readFileSync(lockPath, 'utf8').trim());
      } catch {
        // Vanished meanwhile: try again.
      }
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new FedtuneError('FT_ERR_STORE', `${dbPath} is in use by another coordinator (process ${pid}); stop it first, or remove ${lockPath} if that process is not a coordinator`);
      }
      try {
        unlinkSync(lockPath);
      } catch {
        // Someone else took it over first: the next attempt sees theirs.
      }
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    held.add(lockPath);
    return () => {
      held.delete(lockPath);
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone.
      }
    };
  }
  throw new FedtuneError('FT_ERR_STORE', `cannot take ${lockPath}`);
}
