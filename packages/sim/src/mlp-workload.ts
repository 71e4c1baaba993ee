// The `mlp` on `synthetic-classification` workload: each node holds a shard of one generated
// dataset (IID or Dirichlet label skew) and trains the same named-layer MLP.
import { forkSeed, nodeCryptoProvider, seededRandom, systemRandom } from '@fedtune/shared';
import type { Workload, WorkloadOptions } from './workload.js';
import { DpSgdTrainer, LayersModelTrainer, activeBackend, buildMlp, rowCount, splitValidation, syntheticClassification, takeRows, type LocalTrainer } from '@fedtune/client';
import { partitionDirichlet, partitionIid } from './partition.js';

const ROWS_PER_NODE = 200;
const FEATURES = 20;
const CLASSES = 10;

export const mlpWorkload: Workload = {
  model: 'mlp',
  dataset: 'synthetic-classification',
  trainConfig: { epochs: 1, batchSize: 32 },
  supportsLocalDp: true,
  async createNodes(options: WorkloadOptions): Promise<LocalTrainer[]> {
    const backend = await activeBackend(options.backend);
    const data = syntheticClassification(options.random, { rows: ROWS_PER_NODE * options.clients, numFeatures: FEATURES, numClasses: CLASSES });
    const shards =
      options.partition.kind === 'iid'
        ? partitionIid(rowCount(data), options.clients, options.random)
        : partitionDirichlet(data.labels, CLASSES, options.clients, options.partition.alpha, options.random);
    const initSeed = options.random.uint32();
    return (options.nodes ?? shards.map((_, i) => i)).map((i) => {
      const rows = shards[i]!;
      const { train, validation } = splitValidation(takeRows(data, rows), 0.2);
      // Every node builds the same initial model; the coordinator takes one node's as round 0.
      const model = buildMlp({ inputs: FEATURES, hidden: [64, 32], classes: CLASSES, learningRate: 0.1 }, seededRandom(nodeCryptoProvider, `mlp-init/${initSeed}`));
      const random = seededRandom(nodeCryptoProvider, forkSeed(initSeed, `node-${i}`));
      if (options.localDp !== undefined) {
        // local-sgd: Poisson-sampled batches, per-example clipping and Gaussian noise (Abadi et al. 2016).
        // Record sampling and noise from the OS CSPRNG: the seed reproduces data, never DP noise.
        return new DpSgdTrainer({ model, train, validation, random: systemRandom(nodeCryptoProvider), backend, ...options.localDp, batchSize: 32, learningRate: 0.1 });
      }
      return new LayersModelTrainer({ model, train, validation, random, backend });
    });
  },
};
