// The workloads `fedtune-sim` knows, looked up by --model and --dataset.
import { FedtuneError } from '@fedtune/shared';
import { gptTinyWorkload } from '../lm/workload.js';
import { mlpWorkload } from './mlp-workload.js';
import type { Workload } from './workload.js';

export const WORKLOADS: readonly Workload[] = [mlpWorkload, gptTinyWorkload];

/** @throws FedtuneError FT_ERR_CONFIG listing the known pairs. */
export function findWorkload(model: string, dataset: string): Workload {
  const w = WORKLOADS.find((x) => x.model === model && x.dataset === dataset);
  if (w === undefined) {
    const known = WORKLOADS.map((x) => `--model ${x.model} --dataset ${x.dataset}`).join('; ');
    throw new FedtuneError('FT_ERR_CONFIG', `no workload for --model ${model} --dataset ${dataset} (known: ${known})`);
  }
  return w;
}
