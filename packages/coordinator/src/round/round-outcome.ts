// How a round and a whole training run ended, in the words the store, the nodes and the command
// line use: who took part in a round and how, and whether training completed its configured
// rounds, ended short (with the reason), failed, or was stopped to be resumed.
import type { Participation } from '../store/store.js';
import type { RoundSummary } from './round-summary.js';

/** How training ended, as nodes and the command line report it. */
export interface TrainingOutcome {
  status: 'completed' | 'incomplete' | 'failed' | 'stopped';
  reason: string;
  /** Completed rounds of the whole run (before a restart too). */
  completedRounds: number;
  rounds: number;
  modelVersion: string | null;
}

/** The outcome from where the engine stopped; `stopReason` is why training ended early, if it did. */
export function trainingOutcome(o: { stopped: boolean; failed: boolean; stopReason: string | undefined; lastRound: number; completedRounds: number; rounds: number; modelVersion: string | null }): TrainingOutcome {
  const counts = { completedRounds: o.completedRounds, rounds: o.rounds, modelVersion: o.modelVersion };
  if (o.stopped) return { status: 'stopped', reason: `stopped after round ${o.lastRound} of ${o.rounds}`, ...counts };
  const status = o.failed ? 'failed' : o.completedRounds >= o.rounds ? 'completed' : 'incomplete';
  const reason = status === 'completed' ? `completed ${o.rounds} rounds` : `${o.stopReason ?? `ran ${o.rounds} rounds`}; ${o.completedRounds} of ${o.rounds} rounds completed`;
  return { status, reason, ...counts };
}

/** Who took part in a round and how: every reporting node with `reported`, every dropped one with its reason. */
export function participantsOf(summary: RoundSummary, reported: Iterable<string>, reportedOutcome: 'contributed' | 'round-aborted'): Participation[] {
  const dropped = new Map(summary.droppedDetail.map((d) => [d.node, d]));
  const out: Participation[] = [];
  for (const node of reported) if (!dropped.has(node)) out.push({ node, outcome: reportedOutcome, stage: null });
  for (const d of dropped.values()) if (d.reason !== 'surplus') out.push({ node: d.node, outcome: d.reason, stage: d.stage });
  return out;
}
