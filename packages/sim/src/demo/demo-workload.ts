// The demo's workload: one simulated node per clinic, each fine-tuning LoRA adapters (Hu et al.
// 2021) on the shared public base model over its redacted notes. Without DP, plain AdamW on packed
// rows; under `local-sgd`, DP-SGD whose unit of privacy is the patient: all rows of one patient's
// notes form one unit, sampled and clipped together (dp-causal-lm-trainer.ts). Looked up by name in
// every trainer thread, its settings arriving as WorkloadOptions.params.
import { join } from 'node:path';
import { forkSeed, FedtuneError, nodeCryptoProvider, seededRandom, systemRandom } from '@fedtune/shared';
import {
  activeBackend,
  configFromHuggingFace,
  createCausalLmTrainer,
  createDpCausalLmTrainer,
  GptModel,
  readSafetensorsFile,
  type LocalTrainer,
  type LoraConfig,
} from '@fedtune/client';
import { readFile } from 'node:fs/promises';
import type { Workload, WorkloadOptions } from '../workload.js';
import { buildClinicShards, packNotes, packUnits, type ClinicDataOptions } from './clinic-data.js';
import { loadBaseTokenizer } from './base-model.js';

export interface DemoWorkloadParams {
  /** A built base model (base-model.ts). */
  baseDir: string;
  data: ClinicDataOptions;
  lora: LoraConfig;
  /** Expected patients per DP-SGD step (q = this / training patients of the clinic). */
  dpPatientsPerStep: number;
}

export const DEMO_MODEL = 'demo-gpt-lora';
export const DEMO_DATASET = 'clinical-notes';

function paramsOf(o: WorkloadOptions): DemoWorkloadParams {
  const p = o.params as Partial<DemoWorkloadParams> | undefined;
  if (p === undefined || typeof p.baseDir !== 'string' || p.data === undefined || p.lora === undefined || typeof p.dpPatientsPerStep !== 'number') {
    throw new FedtuneError('FT_ERR_CONFIG', `--model ${DEMO_MODEL} is the demo's workload: run it with \`fedtune-sim demo\`, which builds its base model and passes its settings`);
  }
  return p as DemoWorkloadParams;
}

export const demoWorkload: Workload = {
  model: DEMO_MODEL,
  dataset: DEMO_DATASET,
  trainConfig: { epochs: 1, batchSize: 16, learningRate: 3e-3, weightDecay: 0 },
  supportsLocalDp: true,
  async createNodes(o: WorkloadOptions): Promise<LocalTrainer[]> {
    const p = paramsOf(o);
    if (o.clients !== p.data.clinics) throw new FedtuneError('FT_ERR_CONFIG', `the demo has ${p.data.clinics} clinics, one node each; got ${o.clients} clients`);
    const backend = await activeBackend(o.backend);
    const tokenizer = await loadBaseTokenizer(p.baseDir);
    const config = configFromHuggingFace(JSON.parse(await readFile(join(p.baseDir, 'config.json'), 'utf8')));
    const file = await readSafetensorsFile(join(p.baseDir, 'model.safetensors'));
    const weights = new Map([...file.tensors].map(([k, t]) => [k, t.data]));
    const shards = buildClinicShards(p.data);
    const trainers: LocalTrainer[] = [];
    for (const i of o.nodes ?? shards.map((_, j) => j)) {
      const shard = shards[i]!;
      const model = GptModel.fromWeights(config, weights);
      // Same adapters' initialisation on every node; the coordinator's round-0 model is one of them.
      model.addLora(p.lora, seededRandom(nodeCryptoProvider, forkSeed(p.data.seed, 'lora-init')));
      const { batch, units } = packUnits(shard.trainPatients, tokenizer, config.contextLength, tokenizer.padId);
      const base = {
        model,
        federate: 'lora-b' as const,
        train: batch,
        validation: packNotes(shard.heldOutNotes, tokenizer, config.contextLength, tokenizer.padId),
        random: seededRandom(nodeCryptoProvider, forkSeed(p.data.seed, `node-${i}`)),
        backend,
      };
      const dp = o.localDp;
      // DP-SGD's sampling and noise come from the OS CSPRNG: the seed reproduces data, never noise.
      trainers.push(
        dp === undefined
          ? await createCausalLmTrainer(base)
          : await createDpCausalLmTrainer({ ...base, ...dp, units, batchSize: Math.min(p.dpPatientsPerStep, units.length), random: systemRandom(nodeCryptoProvider) }),
      );
    }
    return trainers;
  },
};
