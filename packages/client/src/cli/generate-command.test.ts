// fedtune-client generate (issue 11, item 7): text from a whole-model file and from a GPT-2
// folder plus adapters, its sampling flags, and usage mistakes refused with exit 2 naming the flag.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom, weightsToSafetensors } from '@fedtune/shared';
import { tinyGptConfig } from '../lm/config.js';
import { GptModel } from '../lm/model.js';
import { wholeModelInfo } from '../lm/saved-model.js';
import { main } from './client-cli.js';

let file: string;
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'fedtune-generate-'));
  const config = tinyGptConfig({ vocabSize: 258, contextLength: 32, nLayer: 1, nHead: 2, nEmbd: 16 });
  const model = GptModel.random(config, seededRandom(nodeCryptoProvider, 'generate-cli'));
  const vars = model.baseVariables();
  const tensors = vars.map((v) => ({ name: v.name, shape: [...v.shape] }));
  const data = new Float32Array(vars.reduce((n, v) => n + v.variable.size, 0));
  let o = 0;
  for (const v of vars) {
    const d = (await v.variable.data()) as Float32Array;
    data.set(d, o);
    o += d.length;
  }
  model.dispose();
  file = join(dir, 'tiny.safetensors');
  await writeFile(file, weightsToSafetensors({ tensors, data }, wholeModelInfo(config, 'byte')));
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('fedtune-client generate', () => {
  it('continues a prompt from a whole-model file; greedy is reproducible, seeded sampling too', async () => {
    const a = await run('generate', '--base', file, '--prompt', 'Hello', '--max-new-tokens', '8', '--temperature', '0', '--backend', 'cpu', '--json');
    const b = await run('generate', '--base', file, '--prompt', 'Hello', '--max-new-tokens', '8', '--temperature', '0', '--backend', 'cpu', '--json');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toMatchObject({ tokens: 8, stoppedBy: 'maxNewTokens' });
    expect(a.out).toBe(b.out);
    const s1 = await run('generate', '--base', file, '--prompt', 'Hello', '--max-new-tokens', '8', '--seed', '3', '--top-k', '5', '--top-p', '0.9', '--no-repeat-ngram', '2', '--backend', 'cpu');
    const s2 = await run('generate', '--base', file, '--prompt', 'Hello', '--max-new-tokens', '8', '--seed', '3', '--top-k', '5', '--top-p', '0.9', '--no-repeat-ngram', '2', '--backend', 'cpu');
    expect(s1.code).toBe(0);
    expect(s1.out).toBe(s2.out);
    expect(s1.out.startsWith('Hello')).toBe(true);
    expect(s1.err).toMatch(/whole model .*tiny\.safetensors \(1 layers, d 16\); backend cpu/);
  });

  it('refuses usage mistakes with exit 2 and one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['generate', '--prompt', 'x'], /generate needs --base and --prompt/],
      [['generate', '--base', file, '--prompt', ''], /--prompt must not be empty/],
      [['generate', '--base', file, '--prompt', 'x', '--temperature=-1'], /--temperature must be a number in \[0, 100\]/],
      [['generate', '--base', file, '--prompt', 'x', '--top-p', '0'], /--top-p must be a number/],
      [['generate', '--base', file, '--prompt', 'x', '--top-k', '1.5'], /--top-k must be an integer >= 0/],
      [['generate', '--base', file, '--prompt', 'x', '--no-repeat-ngram=-2'], /--no-repeat-ngram must be an integer >= 0/],
      [['generate', '--base', file, '--prompt', 'x', '--stop', ''], /--stop must not be empty/],
      [['generate', '--base', file, '--prompt', 'x', '--backend', 'tpu'], /--backend must be one of/],
      [['generate', '--base', file, '--prompt', 'x'.repeat(40), '--backend', 'cpu'], /exceeds the context of 32/],
      [['generate', '--base', join(dir, 'absent'), '--prompt', 'x', '--backend', 'cpu'], /FT_ERR_CONFIG: .*--base .*absent/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
      expect(r.err.trimEnd().split('\n').filter((l) => !/backend/.test(l) || /--backend/.test(l)), argv.join(' ')).toHaveLength(1);
    }
  });

  it('says what a file is when it is not a whole model (adapters given as --base)', async () => {
    const adapters = join(dir, 'adapters.safetensors');
    await writeFile(adapters, weightsToSafetensors({ tensors: [{ name: 'h.0.attn.c_attn.lora_A', shape: [16, 8] }], data: new Float32Array(128) }, { format: 'fedtune-lora', rank: '8', alpha: '16', dropout: '0', targets: 'attn.c_attn' }));
    const r = await run('generate', '--base', adapters, '--prompt', 'x', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a whole model \(format "fedtune-lora"\).*pass it as --adapters/);
  });
});
