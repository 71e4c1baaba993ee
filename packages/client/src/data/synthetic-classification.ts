// The `synthetic-classification` dataset: Gaussian class clusters in a feature space, pushed
// through a fixed random nonlinearity so a linear model cannot solve it and an MLP must learn.
import { sampleNormal, type RandomSource } from '@fedtune/shared';
import type { LabelledData } from './dataset.js';

export interface SyntheticClassificationOptions {
  rows: number;
  numFeatures?: number;
  numClasses?: number;
  /** Cluster spread relative to the distance between class means; higher is harder. */
  noise?: number;
}

export function syntheticClassification(random: RandomSource, options: SyntheticClassificationOptions): LabelledData {
  const numFeatures = options.numFeatures ?? 20;
  const numClasses = options.numClasses ?? 10;
  const noise = options.noise ?? 1.2;
  const means = Array.from({ length: numClasses }, () => Array.from({ length: numFeatures }, () => sampleNormal(random)));
  const features = new Float32Array(options.rows * numFeatures);
  const labels = new Int32Array(options.rows);
  for (let r = 0; r < options.rows; r++) {
    const c = random.int(numClasses);
    labels[r] = c;
    for (let j = 0; j < numFeatures; j++) {
      const x = means[c]![j]! + noise * sampleNormal(random);
      features[r * numFeatures + j] = Math.tanh(x) + 0.1 * x;
    }
  }
  return { features, labels, numFeatures, numClasses };
}
