// `fedtune-client generate`: text from a fine-tuned language model on this machine: a GPT-2 folder
// or a whole-model file as the base, optionally LoRA adapters (from `join --save` or the
// coordinator's `export`), with the generation module's sampling and stop controls.
import { nodeCryptoProvider, seededRandom, systemRandom } from '@fedtune/shared';
import { UsageError, intFlag, numberFlag, parseFlags, type Write } from '@fedtune/shared/cli';
import { isBackendName, BACKEND_ORDER } from '../backend/index.js';
import { generateText } from '../lm/generate.js';
import { loadGenerationModel } from '../lm/saved-model.js';
import { activeBackend } from '../training/tf-backend.js';

export const GENERATE_HELP = `Usage: fedtune-client generate --base PATH --prompt TEXT [options]

Generates text from a language model: a GPT-2 folder (config.json, model.safetensors, and
vocab.json + merges.txt for its tokenizer) or a whole-model file (join --save or export of a
gpt-tiny run), plus LoRA adapters when given.

  --base PATH             the base model: a GPT-2 folder, or a whole-model .safetensors file
  --adapters FILE         LoRA adapters over that base (join --save / export of a gpt2-lora run)
  --tokenizer DIR         a folder with vocab.json + merges.txt (default: the base folder's, or bytes)
  --prompt TEXT           the text to continue
  --max-new-tokens N      tokens to generate at most (default 64)
  --temperature T         0 is greedy (the most likely token each step); default 0.8
  --top-k K               sample from the K most likely tokens only (0: all; default 40)
  --top-p P               nucleus sampling: the smallest set reaching probability P (default 0.95)
  --stop TEXT             stop when the text contains TEXT (cut before it); repeatable
  --no-repeat-ngram N     never repeat an n-gram of N tokens, prompt included (0: off; default 0)
  --seed S                seed the sampling (default: the OS CSPRNG)
  --backend B             force tensorflow | webgpu | wasm | cpu
  --json                  one JSON object: { text, tokens, stoppedBy }
  --verbose               let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help              this text
`;

export async function runGenerateCommand(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    base: { type: 'string' },
    adapters: { type: 'string' },
    tokenizer: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    stop: { type: 'string', multiple: true },
    'no-repeat-ngram': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  if (values.base === undefined || values.prompt === undefined) throw new UsageError('generate needs --base and --prompt');
  if (values.prompt === '') throw new UsageError('--prompt must not be empty');
  const maxNewTokens = intFlag('max-new-tokens', values['max-new-tokens'], 64, 0);
  const temperature = numberFlag('temperature', values.temperature, 0.8, 0, 100);
  const topK = intFlag('top-k', values['top-k'], 40, 0);
  const topP = numberFlag('top-p', values['top-p'], 0.95, Number.MIN_VALUE, 1);
  const noRepeat = intFlag('no-repeat-ngram', values['no-repeat-ngram'], 0, 0);
  if (values.backend !== undefined && !isBackendName(values.backend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(' | ')}, got ${JSON.stringify(values.backend)}`);
  const stops = values.stop ?? [];
  if (stops.some((s) => s === '')) throw new UsageError('--stop must not be empty');
  const random = values.seed === undefined ? systemRandom(nodeCryptoProvider) : seededRandom(nodeCryptoProvider, `generate/${values.seed}`);
  const backend = await activeBackend(values.backend);
  const loaded = await loadGenerationModel({ base: values.base, ...(values.adapters === undefined ? {} : { adapters: values.adapters }), ...(values.tokenizer === undefined ? {} : { tokenizerDir: values.tokenizer }), random });
  err(`${loaded.description}; backend ${backend}\n`);
  try {
    const r = await generateText(loaded.model, loaded.tokenizer, values.prompt, {
      maxNewTokens,
      temperature,
      topK,
      topP,
      random,
      ...(stops.length === 0 ? {} : { stop: stops }),
      ...(noRepeat === 0 ? {} : { noRepeatNgramSize: noRepeat }),
    });
    if (values.json) out(`${JSON.stringify({ text: r.text, tokens: r.tokens.length, stoppedBy: r.stoppedBy })}\n`);
    else out(`${values.prompt}${r.text}\n`);
  } catch (e) {
    // The generation module's RangeErrors name the option (a prompt longer than the context...).
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  } finally {
    loaded.model.dispose();
  }
  return 0;
}
