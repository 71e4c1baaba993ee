// Waiting for a stage of a round: it closes when its condition holds or its deadline passes,
// whichever comes first. `close` runs synchronously at that moment, so no message slips into a
// closed stage; the waiter resumes on the next macrotask, after the acks of the message that
// closed the stage have gone out.
import type { Clock } from './clock.js';

export interface StageWait {
  /** Re-checks the condition; call after every message the stage receives. */
  wake(): void;
  /** Resolves after the stage closed. */
  closed: Promise<void>;
}

export function awaitStage(clock: Clock, deadlineMs: number, done: () => boolean, close: (timedOut: boolean) => void, signal?: AbortSignal): StageWait {
  let settled = false;
  let resolve!: () => void;
  const closed = new Promise<void>((r) => (resolve = r));
  const finish = (timedOut: boolean) => {
    if (settled) return;
    settled = true;
    clock.clearTimeout(timer);
    close(timedOut);
    setImmediate(resolve);
  };
  const timer = clock.setTimeout(() => finish(true), deadlineMs);
  const wake = () => {
    if (signal?.aborted === true || done()) finish(false);
  };
  wake();
  return { wake, closed };
}
