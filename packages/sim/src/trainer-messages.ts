// The messages between the simulation and its trainer worker threads: a call on one node's
// trainer and its reply. Weights travel as transferred Float32Arrays; errors keep their FT_ERR code.
import { FedtuneError, isErrorCode, type TensorSpec, type TrainConfig } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome } from '@fedtune/client';
import type { PartitionSpec, WorkloadOptions } from './workload.js';

/** What a worker needs to build its nodes' trainers exactly as the simulation's own thread would. */
export interface TrainerWorkerSpec {
  /** A workload registered by name (workloads.ts). */
  model: string;
  dataset: string;
  clients: number;
  partition: PartitionSpec;
  /** The simulation's seed; the data stream is forkSeed(seed, 'data'), as in one thread. */
  seed: string;
  backend?: string;
  localDp?: WorkloadOptions['localDp'];
  /** The nodes this worker hosts, in the order it returns them. */
  nodes: number[];
}

export type TrainerRequest =
  | { id: number; op: 'init'; spec: TrainerWorkerSpec }
  | { id: number; op: 'set'; node: number; weights: Float32Array }
  | { id: number; op: 'fit'; node: number; config: TrainConfig }
  | { id: number; op: 'evaluate'; node: number; config: TrainConfig }
  | { id: number; op: 'dispose'; node: number };

/** A request before the thread numbers it. */
export type TrainerCall = TrainerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface NodeInfo {
  node: number;
  tensors: TensorSpec[];
  backend: string;
  weights: Float32Array;
}

export type TrainerValue = { nodes: NodeInfo[] } | { fit: FitOutcome; weights: Float32Array } | { evaluate: EvaluateOutcome } | null;

export type TrainerReply = { id: number; ok: true; value: TrainerValue } | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/** An error as it crosses the thread boundary. */
export function errorToMessage(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/** The error rebuilt on the simulation's side: a FedtuneError keeps its code, a RangeError its type. */
export function errorFromMessage(e: { name: string; message: string; code?: string }): Error {
  if (isErrorCode(e.code)) return FedtuneError.fromWire({ code: e.code, message: e.message });
  const Type = e.name === 'RangeError' ? RangeError : e.name === 'TypeError' ? TypeError : Error;
  return new Type(e.message);
}
