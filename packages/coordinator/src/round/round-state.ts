// One round as an explicit state machine. Pure: transitions take the state and an input and
// return the next state; the engine performs the side effects (emits, timers) around them.

/** The stages of a round, in order. `evaluate` is skipped when the round has no evaluation. */
export const ROUND_STAGES = ['select', 'configure', 'collect', 'aggregate', 'evaluate', 'completed'] as const;
export type RoundStage = (typeof ROUND_STAGES)[number] | 'aborted';

export type DropReason = 'disconnected' | 'deadline' | 'rejected' | 'failed' | 'surplus';

export interface RoundState {
  readonly round: number;
  readonly stage: RoundStage;
  readonly selected: readonly string[];
  /** Results needed to close collection early. */
  readonly target: number;
  /** Fewest results with which the round may aggregate. */
  readonly minResults: number;
  readonly reported: ReadonlySet<string>;
  /** Nodes out of this round, with the reason and the stage it happened in. */
  readonly dropped: ReadonlyMap<string, { reason: DropReason; stage: RoundStage }>;
  readonly abortReason?: string;
}

export function newRound(round: number, selected: readonly string[], target: number, minResults: number): RoundState {
  return { round, stage: 'configure', selected, target, minResults, reported: new Set(), dropped: new Map() };
}

export function advance(state: RoundState, stage: RoundStage): RoundState {
  return { ...state, stage };
}

function isPending(state: RoundState, node: string): boolean {
  return state.selected.includes(node) && !state.reported.has(node) && !state.dropped.has(node);
}

/** A node's complete, valid update arrived. Ignored unless the node is still pending. */
export function onReported(state: RoundState, node: string): RoundState {
  if (state.stage !== 'collect' || !isPending(state, node)) return state;
  const reported = new Set(state.reported).add(node);
  return { ...state, reported };
}

/** A node leaves the round (vanished, refused, failed). Ignored unless it is still pending. */
export function onDropped(state: RoundState, node: string, reason: DropReason): RoundState {
  if (!isPending(state, node)) return state;
  const dropped = new Map(state.dropped).set(node, { reason, stage: state.stage });
  return { ...state, dropped };
}

/** Nodes still expected to report (one pass: this runs on every message of a round). */
export function pending(state: RoundState): string[] {
  return state.selected.filter((n) => !state.reported.has(n) && !state.dropped.has(n));
}

/** Collection can close: the target is met or nobody is left to wait for. */
export function collectionDone(state: RoundState): boolean {
  return state.reported.size >= state.target || pending(state).length === 0;
}

/**
 * Closes collection (on completion or at the deadline): stragglers are dropped, and the round
 * either moves to aggregate or aborts below its minimum.
 */
export function closeCollection(state: RoundState, atDeadline: boolean): RoundState {
  let s = state;
  const reason: DropReason = atDeadline ? 'deadline' : 'surplus';
  for (const n of pending(s)) s = onDropped(s, n, reason);
  if (s.reported.size < s.minResults) {
    return { ...s, stage: 'aborted', abortReason: `${s.reported.size} results < minimum ${s.minResults}` };
  }
  return { ...s, stage: 'aggregate' };
}
