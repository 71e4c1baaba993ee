// The admin surface of a run read from its store, with no engine behind it: the dashboard and
// /api of a finished (or stopped) training, served by `fedtune-coordinator dashboard`.
import type { CoordinatorConfig } from '../config.js';
import type { TrainingOutcome } from '../round/round-engine.js';
import type { RunState, Store } from '../store/store.js';
import type { CoordinatorView } from './routes.js';

/** A read-only view of the run in `db`, as configured by `config`. */
export async function storedRunView(db: Store, config: CoordinatorConfig): Promise<CoordinatorView> {
  let state: RunState | null = await db.runState();
  let outcome: TrainingOutcome | null = null;
  const refresh = async () => {
    state = await db.runState();
    const completed = state?.completedRounds ?? 0;
    const ranAll = (state?.lastRound ?? 0) >= config.rounds;
    outcome = {
      status: ranAll ? (completed >= config.rounds ? 'completed' : 'incomplete') : 'stopped',
      reason: ranAll ? `${completed} of ${config.rounds} rounds completed (read from the store)` : `stopped after round ${state?.lastRound ?? 0} of ${config.rounds} (read from the store)`,
      completedRounds: completed,
      rounds: config.rounds,
      modelVersion: state?.modelVersion ?? null,
    };
  };
  await refresh();
  return {
    engineState: () => (outcome?.status === 'stopped' ? 'stopped' : 'finished'),
    nodeCount: () => 0,
    modelVersion: () => state?.modelVersion ?? null,
    config: () => ({ rounds: config.rounds, minNodes: config.minNodes, strategy: config.strategy.name, secagg: config.secagg !== undefined, dp: config.dp?.mode ?? 'off' }),
    waiting: () => null,
    rounds: async (before, limit) => {
      await refresh();
      return db.rounds(before, limit);
    },
    sessions: () => ({ total: 0, nodes: [] }),
    knownNodes: (offset, limit) => db.nodes(offset, limit),
    tokens: () => [],
    revokeToken: async () => null,
    models: () => db.models(),
    tagModel: async () => {
      throw new Error('the dashboard command reads the store; tag with the coordinator running');
    },
    outcome: () => outcome,
    audit: (afterId, limit, kind) => db.auditLog(afterId, limit, kind),
  };
}
