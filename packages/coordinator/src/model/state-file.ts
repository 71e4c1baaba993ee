// Durable coordinator state in a data directory: the current model (raw float32 + layout) and the
// round counter, written atomically (temp file + rename) after every completed round, so a
// restarted coordinator resumes from the last completed round.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FedtuneError, layoutSize, type TensorSpec, type Weights } from '@fedtune/shared';

export interface SavedState {
  /** Last completed round. */
  round: number;
  modelVersion: string;
  weights: Weights;
  /** Free-form records that must survive a restart (e.g. the privacy ledger). */
  extra: Record<string, unknown>;
}

interface StateJson {
  round: number;
  modelVersion: string;
  tensors: TensorSpec[];
  extra: Record<string, unknown>;
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function saveState(dir: string, state: SavedState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bytes = new Uint8Array(state.weights.data.buffer, state.weights.data.byteOffset, state.weights.data.byteLength);
  await writeAtomic(join(dir, `model-${state.modelVersion}.f32`), bytes);
  const json: StateJson = { round: state.round, modelVersion: state.modelVersion, tensors: [...state.weights.tensors], extra: state.extra };
  await writeAtomic(join(dir, 'state.json'), JSON.stringify(json));
}

/** The saved state, or null when the directory holds none. @throws FedtuneError FT_ERR_CONFIG when corrupt. */
export async function loadState(dir: string): Promise<SavedState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'state.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const json = JSON.parse(text) as StateJson;
    const raw = await readFile(join(dir, `model-${json.modelVersion}.f32`));
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (layoutSize(json.tensors) !== data.length) throw new Error('model file does not match its layout');
    return { round: json.round, modelVersion: json.modelVersion, weights: { tensors: json.tensors, data }, extra: json.extra ?? {} };
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `state in ${dir} is unreadable: ${(err as Error).message}`);
  }
}
