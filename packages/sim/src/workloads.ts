// The workloads `fedtune-sim` knows, looked up by --model and --dataset.
import { FedtuneError } from '@fedtune/shared';
import { mlpWorkload } from './mlp-workload.js';
import type { Workload } from './workload.js';
import { createGptTinyWorkload, gptTinyWorkload } from './lm/gpt-tiny-workload.js';
import { demoWorkload } from './demo/demo-workload.js';

/** gpt-tiny with LoRA adapters (rank 8) on every projection: only the adapters are federated. */
export const gptTinyLoraWorkload: Workload = {
  ...createGptTinyWorkload({ lora: { rank: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] } }),
  model: 'gpt-tiny-lora',
};

export const WORKLOADS: readonly Workload[] = [mlpWorkload, gptTinyWorkload, gptTinyLoraWorkload];

/** Workloads found by name but not offered by `fedtune-sim run`: the demo's needs the settings `fedtune-sim demo` passes. */
const INTERNAL_WORKLOADS: readonly Workload[] = [demoWorkload];

/** @throws FedtuneError FT_ERR_CONFIG listing the known pairs. */
export function findWorkload(model: string, dataset: string): Workload {
  const w = [...WORKLOADS, ...INTERNAL_WORKLOADS].find((x) => x.model === model && x.dataset === dataset);
  if (w === undefined) {
    const known = WORKLOADS.map((x) => `--model ${x.model} --dataset ${x.dataset}`).join('; ');
    throw new FedtuneError('FT_ERR_CONFIG', `no workload for --model ${model} --dataset ${dataset} (known: ${known})`);
  }
  return w;
}
