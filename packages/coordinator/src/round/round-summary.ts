// What a finished (or aborted) round reports: the simulation report and the metrics read these.
import type { Metrics } from '@fedtune/shared';
import type { DropReason, RoundStage, RoundState } from './round-state.js';

export interface DroppedNode {
  node: string;
  reason: DropReason;
  /** The round stage, or `secagg:<Stage>` for a SecAgg stage. */
  stage: RoundStage | `secagg:${string}`;
}

export interface RoundSummary {
  round: number;
  status: 'completed' | 'aborted';
  abortReason: string | null;
  selected: number;
  survivors: number;
  dropped: number;
  droppedDetail: DroppedNode[];
  trainLoss: number | null;
  fitMetrics: Metrics;
  evalLoss: number | null;
  evalAccuracy: number | null;
  evalMetrics: Metrics;
  /** Why federated evaluation did not run this round (e.g. it is off under DP); null when it ran or was not due. */
  evalSkipped: string | null;
  /** Privacy spent so far; null without DP. */
  epsilon: number | null;
  delta: number | null;
  /** Mean bytes a surviving node uploaded this round (frames as received). */
  uploadBytesPerClient: number | null;
  durationMs: number;
  modelVersion: string | null;
  /** SecAgg rounds: time per stage, graph degree k and threshold t, ring width and scale. */
  secagg: { stageMs: Record<string, number>; degree: number | null; threshold: number | null; bits: number; scale: number } | null;
  /** Several instances (issue 13): each instance's group, absent in a single-instance round. */
  groups?: GroupReport[];
}

/** One instance's group in a round of several instances. */
export interface GroupReport {
  instance: string;
  status: 'ok' | 'skipped' | 'aborted';
  selected: number;
  survivors: number;
  /** Milliseconds this instance spent removing its group's masks (in parallel with the others). */
  unmaskMs: number | null;
  durationMs: number;
  reason: string | null;
}

/** What a summary holds before evaluation and the privacy step fill it in (fresh objects each call). */
export function unfilledByLaterStages(): Pick<RoundSummary, 'trainLoss' | 'fitMetrics' | 'evalLoss' | 'evalAccuracy' | 'evalMetrics' | 'evalSkipped' | 'epsilon' | 'delta'> {
  return { trainLoss: null, fitMetrics: {}, evalLoss: null, evalAccuracy: null, evalMetrics: {}, evalSkipped: null, epsilon: null, delta: null };
}

/** The summary of a closed collection; later stages fill in losses, privacy and the model. */
export function summariseCollection(state: RoundState, uploadedBytes: ReadonlyMap<string, number>, durationMs: number): RoundSummary {
  const droppedDetail = [...state.dropped].filter(([, d]) => d.reason !== 'surplus').map(([node, d]) => ({ node, ...d }));
  const bytes = [...uploadedBytes.values()];
  return {
    round: state.round,
    status: state.stage === 'aborted' ? 'aborted' : 'completed',
    abortReason: state.abortReason ?? null,
    selected: state.selected.length,
    survivors: state.reported.size,
    dropped: droppedDetail.length,
    droppedDetail,
    ...unfilledByLaterStages(),
    uploadBytesPerClient: bytes.length > 0 ? bytes.reduce((a, b) => a + b, 0) / bytes.length : null,
    secagg: null,
    durationMs,
    modelVersion: null,
  };
}
