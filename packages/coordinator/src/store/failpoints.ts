// Failpoints for the fault suite (in the manner of FoundationDB's and TiKV's): a named point in
// the code that, when FEDTUNE_FAILPOINTS names it, sends the process a signal right there. Only
// what no outside observer can time (the middle of a store transaction) has one; everything else
// is triggered from outside. Unset, a failpoint costs one Map lookup.
//
// FEDTUNE_FAILPOINTS="commit:model-written@3=SIGKILL,commit:done@5=SIGTERM"

export type Failpoint = (name: string, round: number) => void;

const SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT']);

/**
 * The failpoints `spec` arms (by default FEDTUNE_FAILPOINTS); a no-op when it names none.
 * @throws RangeError on a malformed spec (a typo must not silently disarm a fault test).
 */
export function failpointsFrom(spec: string | undefined = process.env.FEDTUNE_FAILPOINTS): Failpoint {
  if (spec === undefined || spec.trim() === '') return () => {};
  const armed = new Map<string, NodeJS.Signals>();
  for (const part of spec.split(',')) {
    const m = /^\s*([a-z:-]+)@(\d+)=(SIG[A-Z]+)\s*$/.exec(part);
    if (m === null || !SIGNALS.has(m[3]!)) throw new RangeError(`FEDTUNE_FAILPOINTS: ${JSON.stringify(part)} is not name@round=SIGKILL|SIGTERM|SIGINT`);
    armed.set(`${m[1]}@${m[2]}`, m[3] as NodeJS.Signals);
  }
  return (name, round) => {
    const signal = armed.get(`${name}@${round}`);
    if (signal === undefined) return;
    armed.delete(`${name}@${round}`);
    process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'failpoint', failpoint: name, round, signal })}\n`);
    process.kill(process.pid, signal);
  };
}
