// What a finished (or aborted) round reports: the simulation report and the metrics read these.
import type { Metrics } from '@fedtune/shared';
import type { DropReason, RoundStage } from './round-state.js';

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
  /** Privacy spent so far; null without DP. */
  epsilon: number | null;
  delta: number | null;
  /** Mean bytes a surviving node uploaded this round (frames as received). */
  uploadBytesPerClient: number | null;
  durationMs: number;
  modelVersion: string | null;
  /** SecAgg rounds: time per stage, graph degree k and threshold t, ring width and scale. */
  secagg: { stageMs: Record<string, number>; degree: number | null; threshold: number | null; bits: number; scale: number } | null;
}
