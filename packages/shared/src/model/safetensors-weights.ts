// Federated weights (a flat float32 vector and its tensor layout) as a safetensors file and back.
// The layout's order is what nodes and the coordinator agree on, and safetensors headers are JSON
// objects whose key order readers may change, so the order travels in the metadata
// (`fedtune.layout`); a file without it is read in header order.
import { FedtuneError } from '../errors/catalogue.js';
import { layoutSize, splitTensors, type TensorSpec, type Weights } from './weights.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

const LAYOUT_KEY = 'fedtune.layout';

/** The file: each tensor under its name, the order in the metadata, plus `metadata`. */
export function weightsToSafetensors(w: Weights, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = splitTensors(w).map(({ spec, values }) => ({ name: spec.name, shape: spec.shape, data: values }));
  return serializeSafetensors(tensors, { ...metadata, [LAYOUT_KEY]: JSON.stringify(w.tensors.map((t) => t.name)) });
}

/**
 * The weights in a safetensors file (any float or integer dtype, converted to float32), in the
 * order its metadata gives, else header order; and its metadata (without the order).
 * @throws FedtuneError FT_ERR_MALFORMED (a bad file), FT_ERR_SHAPE (a layout no model can have).
 */
export function weightsFromSafetensors(bytes: Uint8Array): { weights: Weights; metadata: Record<string, string> } {
  const file = parseSafetensors(bytes);
  const { [LAYOUT_KEY]: order, ...metadata } = file.metadata;
  let names = [...file.tensors.keys()];
  if (order !== undefined) {
    let listed: unknown;
    try {
      listed = JSON.parse(order);
    } catch {
      listed = null;
    }
    if (!Array.isArray(listed) || listed.length !== names.length || !listed.every((n) => typeof n === 'string' && file.tensors.has(n)) || new Set(listed).size !== listed.length) {
      throw new FedtuneError('FT_ERR_MALFORMED', `safetensors: ${LAYOUT_KEY} does not list the file's tensors once each`);
    }
    names = listed as string[];
  }
  const tensors: TensorSpec[] = names.map((name) => ({ name, shape: [...file.tensors.get(name)!.shape] }));
  const data = new Float32Array(layoutSize(tensors));
  let offset = 0;
  for (const name of names) {
    const t = file.tensors.get(name)!;
    data.set(t.data, offset);
    offset += t.data.length;
  }
  return { weights: { tensors, data }, metadata };
}
