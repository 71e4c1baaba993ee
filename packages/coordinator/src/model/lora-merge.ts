// Folding LoRA adapters into their base (Hu et al. 2021, "LoRA", section 4.1: W' = W + (alpha/r) A B
// with GPT-2's Conv1D weights stored [in, out], A [in, r], B [r, out]), so an exported model runs
// without adapters. Pure: named float32 tensors in, named float32 tensors out; float64 sums.
import { FedtuneError } from '@fedtune/shared';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const ADAPTER = /^(.*)\.lora_(A|B)$/;

/**
 * The base tensors with every adapted weight replaced by its merge (the others shared, not
 * copied). Base names may carry Hugging Face's `transformer.` prefix.
 * @throws FedtuneError FT_ERR_SHAPE when an adapter has no base weight, no partner, or shapes that do not chain.
 */
export function mergeLora(base: ReadonlyMap<string, NamedTensor>, adapters: ReadonlyMap<string, NamedTensor>, scale: number): Map<string, NamedTensor> {
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`mergeLora: scale must be a positive number, got ${scale}`);
  const out = new Map(base);
  const modules = new Set<string>();
  for (const name of adapters.keys()) {
    const m = ADAPTER.exec(name);
    if (m === null) throw new FedtuneError('FT_ERR_SHAPE', `${name} is not a LoRA adapter (…lora_A or …lora_B)`);
    modules.add(m[1]!);
  }
  for (const module of modules) {
    const a = adapters.get(`${module}.lora_A`);
    const b = adapters.get(`${module}.lora_B`);
    if (a === undefined || b === undefined) throw new FedtuneError('FT_ERR_SHAPE', `${module} has lora_${a === undefined ? 'B' : 'A'} without lora_${a === undefined ? 'A' : 'B'}`);
    const key = [`${module}.weight`, `transformer.${module}.weight`].find((k) => base.has(k));
    if (key === undefined) throw new FedtuneError('FT_ERR_SHAPE', `the base has no ${module}.weight for its adapters (another base model?)`);
    const w = base.get(key)!;
    const [fanIn, fanOut] = w.shape;
    const [aIn, rank] = a.shape;
    const [bRank, bOut] = b.shape;
    if (w.shape.length !== 2 || a.shape.length !== 2 || b.shape.length !== 2 || aIn !== fanIn || bRank !== rank || bOut !== fanOut) {
      throw new FedtuneError('FT_ERR_SHAPE', `${module}: base [${w.shape.join(', ')}], lora_A [${a.shape.join(', ')}], lora_B [${b.shape.join(', ')}] do not chain`);
    }
    const merged = new Float32Array(w.data.length);
    const row = new Float64Array(fanOut!);
    for (let i = 0; i < fanIn!; i++) {
      row.fill(0);
      for (let k = 0; k < rank!; k++) {
        const aik = a.data[i * rank! + k]!;
        if (aik === 0) continue;
        const bRow = k * fanOut!;
        for (let j = 0; j < fanOut!; j++) row[j]! += aik * b.data[bRow + j]!;
      }
      const base0 = i * fanOut!;
      for (let j = 0; j < fanOut!; j++) merged[base0 + j] = w.data[base0 + j]! + scale * row[j]!;
    }
    out.set(key, { shape: [...w.shape], data: merged });
  }
  return out;
}
