// The `gpt-tiny` on `synthetic-notes` workload: a small GPT-2-architecture model with a byte-level
// tokenizer, each node fine-tuning on its shard of generated patient notes (IID, or Dirichlet
// skew over conditions), one node's data carrying a canary for memorisation audits.
import { forkSeed, nodeCryptoProvider, seededRandom, systemRandom } from '@fedtune/shared';
import {
  ByteTokenizer,
  GptModel,
  activeBackend,
  createCausalLmTrainer,
  createDpCausalLmTrainer,
  splitTrainValidation,
  tinyGptConfig,
  tokenizeAndPack,
  type GptConfig,
  type LocalTrainer,
  type LoraConfig,
} from '@fedtune/client';
import { partitionDirichlet, partitionIid } from '../partition.js';
import type { Workload, WorkloadOptions } from '../workload.js';
import { CONDITIONS, generateNotes, makeCanary, type Canary } from './synthetic-notes.js';

export interface GptTinyOptions {
  notesPerNode?: number;
  /** Which node's training data holds the canary, and how many copies. */
  canaryNode?: number;
  canaryRepeats?: number;
  validationFraction?: number;
  config?: Partial<GptConfig>;
  /** With adapters, only they are federated; without, every weight (the model starts untrained). */
  lora?: LoraConfig;
  /** Expected rows per DP-SGD step when `localDp` is set (capped at a node's row count). Default 16. */
  dpBatchSize?: number;
}

export interface PlantedCanary extends Canary {
  node: number;
  repeats: number;
}

export interface GptTinyWorkload extends Workload {
  readonly tokenizer: ByteTokenizer;
  readonly modelConfig: GptConfig;
  /** The canary planted by the last createNodes call. */
  readonly lastCanary: PlantedCanary | undefined;
}

/** Builds the workload; `gptTinyWorkload` is the default instance the simulator registers. */
export function createGptTinyWorkload(options: GptTinyOptions = {}): GptTinyWorkload {
  const tokenizer = new ByteTokenizer();
  const modelConfig = tinyGptConfig({ vocabSize: tokenizer.vocabSize, ...options.config });
  const notesPerNode = options.notesPerNode ?? 60;
  const repeats = options.canaryRepeats ?? 4;
  const padId = tokenizer.specialId('<|pad|>');
  let lastCanary: PlantedCanary | undefined;
  return {
    model: 'gpt-tiny',
    dataset: 'synthetic-notes',
    trainConfig: { epochs: 1, batchSize: 8, learningRate: 3e-3, weightDecay: 0.01, maxGradNorm: 1 },
    supportsLocalDp: true,
    tokenizer,
    modelConfig,
    get lastCanary() {
      return lastCanary;
    },
    async createNodes(o: WorkloadOptions): Promise<LocalTrainer[]> {
      const backend = await activeBackend(o.backend);
      const notes = generateNotes(notesPerNode * o.clients, o.random);
      const labels = Int32Array.from(notes, (n) => n.condition);
      const shards = o.partition.kind === 'iid' ? partitionIid(notes.length, o.clients, o.random) : partitionDirichlet(labels, CONDITIONS.length, o.clients, o.partition.alpha, o.random);
      const canaryNode = Math.min(options.canaryNode ?? 0, o.clients - 1);
      const canary = makeCanary(o.random);
      lastCanary = { ...canary, node: canaryNode, repeats };
      const initSeed = o.random.uint32();
      const trainers: LocalTrainer[] = [];
      for (const i of o.nodes ?? shards.map((_, j) => j)) {
        const rows = shards[i]!;
        const nodeRandom = seededRandom(nodeCryptoProvider, forkSeed(initSeed, `node-${i}`));
        const texts = rows.map((r) => notes[r]!.text);
        const { train, validation } = splitTrainValidation(texts, options.validationFraction ?? 0.2, nodeRandom);
        if (i === canaryNode) for (let k = 0; k < repeats; k++) train.splice(nodeRandom.int(train.length + 1), 0, canary.text);
        // Every node starts from the same weights; the coordinator takes one node's as round 0.
        const initRandom = seededRandom(nodeCryptoProvider, forkSeed(initSeed, 'gpt-tiny-init'));
        const model = GptModel.random(modelConfig, initRandom);
        if (options.lora !== undefined) model.addLora(options.lora, initRandom);
        const base = {
          model,
          train: tokenizeAndPack(train, tokenizer, modelConfig.contextLength, padId),
          validation: tokenizeAndPack(validation, tokenizer, modelConfig.contextLength, padId),
          random: nodeRandom,
          backend,
        };
        // local-sgd: record-level DP-SGD, the record being one packed row (Abadi et al. 2016).
        const dp = o.localDp;
        const batchSize = Math.min(options.dpBatchSize ?? 16, base.train.rows);
        // Its row sampling and noise come from the OS CSPRNG: the seed reproduces data, never DP noise.
        trainers.push(dp === undefined ? await createCausalLmTrainer(base) : await createDpCausalLmTrainer({ ...base, ...dp, batchSize, random: systemRandom(nodeCryptoProvider) }));
      }
      return trainers;
    },
  };
}

export const gptTinyWorkload: GptTinyWorkload = createGptTinyWorkload();
