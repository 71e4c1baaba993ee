// What the engine needs from the network: who is available and how to reach them. The socket.io
// server implements it; the engine never touches a socket.
import type { EvaluateInstruction, FitInstruction, RoundEnd, TrainingFinished } from '@fedtune/shared';

export interface NodeTransport {
  /** Authenticated, connected nodes. */
  available(): string[];
  /** Resolves once at least `n` nodes are available, or rejects when `signal` aborts. */
  waitForNodes(n: number, signal: AbortSignal): Promise<void>;
  sendFit(node: string, message: FitInstruction): void;
  sendEvaluate(node: string, message: EvaluateInstruction): void;
  broadcastRoundEnd(message: RoundEnd): void;
  broadcastFinished(message: TrainingFinished): void;
}
