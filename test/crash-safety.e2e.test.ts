// Crash safety (issue 11, item 2): kill -9 at random moments during 200 rounds; after each restart
// the run resumes where its store left it, the ledger's epsilon equals a recomputation from the
// stored rounds, and every model version a round refers to exists (helpers/crash-loop.ts checks
// each). The kill delays are seeded; the long form (2,000 rounds) is the crash-loop benchmark.
import { describe, expect, it } from 'vitest';
import { crashLoop } from './helpers/crash-loop.js';

describe('crash safety', () => {
  it('kill -9 at random points during 200 rounds: every restart resumes, the ledger recomputes exactly, every named model exists', async () => {
    const { checks, kills, final } = await crashLoop({ rounds: 200, killAfterMs: [100, 700], seed: 'crash-200', onCheck: (c) => process.env.FEDTUNE_TEST_LOG === '1' && process.stderr.write(`kill ${c.kill}: round ${c.lastRound}, epsilon ${c.epsilon}\n`) });
    // The run went forward through the kills and reached the end.
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(checks.map((c) => c.lastRound)).toEqual([...checks.map((c) => c.lastRound)].sort((a, b) => a - b));
    expect(final).toMatchObject({ lastRound: 200, completed: 200 });
    expect(final.epsilon).toBeGreaterThan(checks.find((c) => c.epsilon !== null)?.epsilon ?? 0);
  }, 300_000);
});
