// Why two weight layouts differ, in words a user can act on: the first tensor that is missing,
// extra, out of order or of another shape. Both ends use it, so a node with another model (another
// number of classes, another base) is told the same cause at hello, at upload and at download.
import { tensorSize, type TensorSpec } from './weights.js';

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The first difference between `local` and `global` as one sentence, or null when they are the same. */
export function describeLayoutMismatch(local: readonly TensorSpec[], global: readonly TensorSpec[], localName = 'this node', globalName = 'the global model'): string | null {
  const n = Math.max(local.length, global.length);
  for (let i = 0; i < n; i++) {
    const a = local[i];
    const b = global[i];
    if (a === undefined) return `${globalName} has tensor ${JSON.stringify(b!.name)} ${shape(b!.shape)} that ${localName} lacks (${global.length} tensors vs ${local.length})`;
    if (b === undefined) return `${localName} has tensor ${JSON.stringify(a.name)} ${shape(a.shape)} that ${globalName} lacks (${local.length} tensors vs ${global.length})`;
    if (a.name !== b.name) return `tensor ${i} is ${JSON.stringify(a.name)} in ${localName} but ${JSON.stringify(b.name)} in ${globalName}`;
    if (a.shape.length !== b.shape.length || a.shape.some((d, j) => d !== b.shape[j])) {
      return `tensor ${JSON.stringify(a.name)} is ${shape(a.shape)} in ${localName} but ${shape(b.shape)} in ${globalName} (${tensorSize(a.shape)} vs ${tensorSize(b.shape)} values)`;
    }
  }
  return null;
}

/** What usually causes a mismatch, for the end of an error message. */
export const LAYOUT_MISMATCH_HINT = 'every node must build the same model: with tabular data give every node the same --classes N (a node infers max label + 1 from its own rows otherwise); with a language model, the same --model and --base';
