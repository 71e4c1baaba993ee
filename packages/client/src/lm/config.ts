// GPT-2 architecture hyper-parameters (Radford et al. 2019), from a test-sized model to GPT-2 small.

export interface GptConfig {
  vocabSize: number;
  /** Maximum sequence length (GPT-2's n_positions). */
  contextLength: number;
  nLayer: number;
  nHead: number;
  /** Model width; a multiple of nHead. */
  nEmbd: number;
  layerNormEpsilon: number;
}

/** GPT-2 small (124M parameters). */
export const GPT2_SMALL: Readonly<GptConfig> = Object.freeze({
  vocabSize: 50257,
  contextLength: 1024,
  nLayer: 12,
  nHead: 12,
  nEmbd: 768,
  layerNormEpsilon: 1e-5,
});

/** A model small enough for unit tests and two-core simulations. */
export function tinyGptConfig(overrides: Partial<GptConfig> = {}): GptConfig {
  return validateGptConfig({ vocabSize: 258, contextLength: 64, nLayer: 2, nHead: 4, nEmbd: 64, layerNormEpsilon: 1e-5, ...overrides });
}

const LIMITS: Record<Exclude<keyof GptConfig, 'layerNormEpsilon'>, number> = {
  vocabSize: 1 << 20,
  contextLength: 1 << 16,
  nLayer: 256,
  nHead: 256,
  nEmbd: 1 << 15,
};

/**
 * Checks a configuration (which may come from an untrusted config.json).
 * @throws RangeError naming the field and the bad value.
 */
export function validateGptConfig(c: GptConfig): GptConfig {
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = c[key];
    if (!Number.isSafeInteger(v) || v < 1 || v > LIMITS[key]) throw new RangeError(`GptConfig.${key} must be an integer in [1, ${LIMITS[key]}], got ${v}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new RangeError(`GptConfig.nEmbd (${c.nEmbd}) must be a multiple of nHead (${c.nHead})`);
  if (!(c.layerNormEpsilon > 0 && c.layerNormEpsilon < 1)) throw new RangeError(`GptConfig.layerNormEpsilon must be in (0, 1), got ${c.layerNormEpsilon}`);
  return c;
}

/** The base parameters of one GPT-2 model, as Hugging Face names them, with their shapes. */
export function gptParameterShapes(c: GptConfig): [string, number[]][] {
  const d = c.nEmbd;
  const out: [string, number[]][] = [
    ['wte.weight', [c.vocabSize, d]],
    ['wpe.weight', [c.contextLength, d]],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    out.push(
      [`${p}ln_1.weight`, [d]],
      [`${p}ln_1.bias`, [d]],
      [`${p}attn.c_attn.weight`, [d, 3 * d]],
      [`${p}attn.c_attn.bias`, [3 * d]],
      [`${p}attn.c_proj.weight`, [d, d]],
      [`${p}attn.c_proj.bias`, [d]],
      [`${p}ln_2.weight`, [d]],
      [`${p}ln_2.bias`, [d]],
      [`${p}mlp.c_fc.weight`, [d, 4 * d]],
      [`${p}mlp.c_fc.bias`, [4 * d]],
      [`${p}mlp.c_proj.weight`, [4 * d, d]],
      [`${p}mlp.c_proj.bias`, [d]],
    );
  }
  out.push(['ln_f.weight', [d]], ['ln_f.bias', [d]]);
  return out;
}
