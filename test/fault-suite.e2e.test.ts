// The fault suite (issue 11, item 9), in the style of NVFlare's high-availability tests: a real
// `fedtune-coordinator serve` is killed (SIGKILL) or stopped (SIGTERM) before the first round,
// mid-collection, at each SecAgg stage, during the model save and after completion, then restarted
// on its store. Validator, exact: the run ends with the very model bytes of the uninterrupted run
// (deterministic nodes without DP: see grid-step-trainer.ts), every round committed exactly once,
// every round's model version known to the store; under DP, the ledger holds one entry per round
// and the same epsilon as the uninterrupted run.
import { beforeAll, describe, expect, it } from 'vitest';
import { PrivacyLedger, SECAGG_STAGES } from '@fedtune/shared';
import { NODES, ROUNDS, runWithFault, type Fault, type Outcome, type Scenario } from './helpers/coordinator-faults.js';

const SIGNALS = ['SIGKILL', 'SIGTERM'] as const;
const reference = new Map<string, Outcome>();
const key = (s: Scenario) => `${s.secagg ? 'secagg' : 'plain'}${s.dp ? '+dp' : ''}`;

function validate(s: Scenario, got: Outcome): void {
  const ref = reference.get(key(s))!;
  expect(got.starts).toBe(2);
  expect(got.rounds.map((r) => [r.round, r.status])).toEqual(Array.from({ length: ROUNDS }, (_, i) => [i + 1, 'completed']));
  expect(got.rounds.map((r) => [r.survivors, r.droppedDetail]), 'every node in every committed round').toEqual(ref.rounds.map(() => [NODES, []]));
  expect(got.referenced.filter((r) => !r.known), 'model versions the rounds name but the store does not know').toEqual([]);
  for (const end of got.ends) expect(end).toMatchObject({ ok: true, finished: { status: 'completed', completedRounds: ROUNDS } });
  if (!s.dp) {
    expect(got.rounds.map((r) => r.modelVersion), 'each round\'s model version').toEqual(ref.rounds.map((r) => r.modelVersion));
    // Bit for bit: the same float32 bytes, hence the same content hash.
    expect([...got.model], 'the final model, element by element').toEqual([...ref.model]);
    expect(Buffer.from(got.model.buffer).equals(Buffer.from(ref.model.buffer)), 'the final model, byte for byte').toBe(true);
    expect(got.modelVersion).toBe(ref.modelVersion);
    expect(got.ledger).toEqual([]);
  } else {
    expect(got.ledger).toEqual(ref.ledger);
    const epsilon = got.ledger.reduce((l, e) => l.append(e), new PrivacyLedger()).epsilonSoFar(1e-5).epsilon;
    expect(got.rounds.at(-1)!.epsilon).toBe(epsilon);
    expect(epsilon).toBe(ref.rounds.at(-1)!.epsilon);
  }
}

const scenarios: Scenario[] = [{ secagg: false, dp: false }, { secagg: true, dp: false }, { secagg: false, dp: true }];

beforeAll(async () => {
  for (const s of scenarios) {
    const ref = await runWithFault(s, null);
    expect(ref.starts).toBe(1);
    expect(ref.rounds).toHaveLength(ROUNDS);
    if (s.dp) expect(ref.ledger.map((e) => e.round)).toEqual([1, 2, 3, 4]);
    reference.set(key(s), ref);
  }
}, 120_000);

describe('fault suite: the coordinator killed or stopped, then restarted on its store', () => {
  const plain: Scenario = { secagg: false, dp: false };
  const cases: [string, Fault['trigger']][] = [
    ['before the first round (the initial model requested)', { kind: 'round-start', round: 0 }],
    ['mid-collection (round 2 under way)', { kind: 'round-start', round: 2 }],
    ['during the model save (inside the round-3 transaction)', { kind: 'failpoint', name: 'commit:model-written', round: 3 }],
    ['after completion', { kind: 'finished' }],
  ];
  for (const [name, trigger] of cases) {
    for (const signal of SIGNALS) {
      it(`${signal} ${name}: the same model, bit for bit`, async () => validate(plain, await runWithFault(plain, { trigger, signal })));
    }
  }

  const secagg: Scenario = { secagg: true, dp: false };
  for (const stage of SECAGG_STAGES) {
    for (const signal of SIGNALS) {
      it(`${signal} at SecAgg stage ${stage} (round 2, active mode): the same model, bit for bit`, async () => validate(secagg, await runWithFault(secagg, { trigger: { kind: 'secagg', round: 2, stage }, signal })));
    }
  }

  const dp: Scenario = { secagg: false, dp: true };
  for (const [name, trigger] of [cases[1]!, cases[2]!]) {
    for (const signal of SIGNALS) {
      it(`${signal} ${name} under central DP: one ledger entry per round, the uninterrupted epsilon`, async () => validate(dp, await runWithFault(dp, { trigger, signal })));
    }
  }
});
