// What the engine needs from the network: who is available and how to reach them. The socket.io
// server implements it; the engine never touches a socket.
import type { EvaluateInstruction, FitInstruction, RoundEnd, TensorSpec, TrainingFinished } from '@fedtune/shared';

export type SecAggServerEvent = 'secagg:setup' | 'secagg:share-keys-request' | 'secagg:masked-input-request' | 'secagg:consistency-request' | 'secagg:unmask-request' | 'secagg:abort';

export interface NodeTransport {
  /** Nodes that may be selected now: authenticated, connected, ready, not serving a penalty. */
  available(): string[];
  /** Resolves once at least `n` nodes are available, or rejects when `signal` aborts. */
  waitForNodes(n: number, signal: AbortSignal): Promise<void>;
  sendFit(node: string, message: FitInstruction): void;
  sendEvaluate(node: string, message: EvaluateInstruction): void;
  /** Sends one s2c SecAgg stage message (already validated by the session). */
  sendSecAgg(node: string, event: SecAggServerEvent, message: unknown): void;
  broadcastRoundEnd(message: RoundEnd): void;
  broadcastFinished(message: TrainingFinished): void;
  /** Optional: the initial model arrived with this layout; nodes that train another are refused. */
  refuseOtherLayouts?(tensors: readonly TensorSpec[]): void;
  /** The node let a deadline pass holding a place in a round: it sits out a while. */
  missedDeadline(node: string): void;
  /** The node's contribution counted: any penalty is lifted. */
  contributed(node: string): void;
}
