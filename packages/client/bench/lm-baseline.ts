// The LM benchmark's baseline: the same gpt-tiny training measured on another checkout of fedtune
// (e.g. main before the fast paths), in a child process started from the same run. Point
// FEDTUNE_BENCH_BASELINE at that checkout after installing it:
//   git archive <commit> | tar -x -C /tmp/fedtune-base && (cd /tmp/fedtune-base && npx -y pnpm@10 install --frozen-lockfile)
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Uses only API both sides have: probeBackend, createCausalLmTrainer, GptModel, tinyGptConfig.
const SCRIPT = `
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { probeBackend } from './src/backend/select.js';
import { createCausalLmTrainer } from './src/lm/causal-lm-trainer.js';
import { tinyGptConfig } from './src/lm/config.js';
import { GptModel } from './src/lm/model.js';
const [steps, reps] = process.argv.slice(2).map(Number);
if (!(await probeBackend('wasm')).available) throw new Error('no wasm backend');
const out = [];
for (let rep = 0; rep < reps; rep++) {
  const r = seededRandom(nodeCryptoProvider, 'lm-bench');
  const config = tinyGptConfig();
  const rows = 8 * (steps + 1);
  const inputs = Int32Array.from({ length: rows * 64 }, () => r.int(256));
  const data = { inputs, labels: inputs.map((_, i) => inputs[(i + 1) % inputs.length]), rows, seqLen: 64 };
  const trainer = await createCausalLmTrainer({ model: GptModel.random(config, r), train: data, validation: data, random: r, backend: 'wasm' });
  await trainer.fit({ batchSize: 8, maxSteps: 1 });
  const t0 = performance.now();
  await trainer.fit({ batchSize: 8, maxSteps: steps });
  out.push((steps * 8 * 64) / ((performance.now() - t0) / 1000));
  trainer.dispose();
}
console.log(JSON.stringify(out));
`;

/** gpt-tiny training tokens/s on wasm in the baseline checkout, one figure per repetition. */
export async function baselineTokensPerSecond(dir: string, steps: number, reps: number): Promise<number[]> {
  const client = join(dir, 'packages', 'client');
  const script = join(client, 'fedtune-bench-baseline.ts');
  await writeFile(script, SCRIPT);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=@fedtune/source', script, String(steps), String(reps)], { cwd: client, maxBuffer: 1 << 20 });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const values = JSON.parse(line) as unknown;
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`baseline printed ${line}`);
  return values as number[];
}
