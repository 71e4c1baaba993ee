// A labelled tabular dataset held as flat typed arrays (row-major features, integer labels).
export interface LabelledData {
  features: Float32Array;
  labels: Int32Array;
  numFeatures: number;
  numClasses: number;
}

export function rowCount(d: LabelledData): number {
  return d.labels.length;
}

/** The rows at `indices`, copied. */
export function takeRows(d: LabelledData, indices: readonly number[]): LabelledData {
  const f = new Float32Array(indices.length * d.numFeatures);
  const l = new Int32Array(indices.length);
  indices.forEach((row, i) => {
    f.set(d.features.subarray(row * d.numFeatures, (row + 1) * d.numFeatures), i * d.numFeatures);
    l[i] = d.labels[row]!;
  });
  return { features: f, labels: l, numFeatures: d.numFeatures, numClasses: d.numClasses };
}

/** Splits rows into a training part and a validation part (`validationFraction` of them, at least 1). */
export function splitValidation(d: LabelledData, validationFraction: number): { train: LabelledData; validation: LabelledData } {
  const n = rowCount(d);
  const nVal = Math.max(1, Math.min(n - 1, Math.round(n * validationFraction)));
  const idx = Array.from({ length: n }, (_, i) => i);
  return { train: takeRows(d, idx.slice(nVal)), validation: takeRows(d, idx.slice(0, nVal)) };
}
