// `fedtune-coordinator export`: a model version out of the store as safetensors: the current model,
// a round's, or a tagged one; for LoRA runs the adapters with the base named in the metadata (what
// `fedtune-client generate --adapters` reads), or merged into a local copy of the base on request
// (a Hugging Face GPT-2 folder). Reads the store beside a running coordinator; the export is
// recorded in the audit log when the store can be written.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FedtuneError, nodeCryptoProvider, parseSafetensors, serializeSafetensors, splitTensors, weightsToSafetensors } from '@fedtune/shared';
import { UsageError, intFlag, parseFlags, type Write } from '@fedtune/shared/cli';
import { loadConfigFile, resolveConfig, type CoordinatorConfig } from '../config.js';
import { mergeLora, type NamedTensor } from '../model/lora-merge.js';
import { openStore, storePath } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { DEFAULT_DATA_DIR } from './serve-command.js';

export const EXPORT_HELP = `Usage: fedtune-coordinator export --out PATH [--round N | --tag NAME] [--config FILE] [--data-dir DIR] [--merged --base DIR]

Writes a model version from the coordinator's store as safetensors (float32; the tensor order in
the metadata, with what the model is). Default: the current model. For a LoRA run the file holds
the adapters with the base model named in its metadata (fedtune-client generate --base DIR
--adapters FILE reads it); --merged folds them into a local copy of that base instead.

  --out PATH      the file to write (with --merged: a folder, written as a GPT-2 folder)
  --round N       the model round N produced (kept while retention keeps it: store.retention)
  --tag NAME      a tagged version (initial, round-N from keepEvery, or your own tags)
  --config FILE   the coordinator's config (for its dataDir, store and at-rest key)
  --data-dir DIR  the store's folder (default: the config's dataDir, else ./${DEFAULT_DATA_DIR})
  --merged        LoRA runs: write base + adapters as one model (needs --base)
  --base DIR      the GPT-2 folder the adapters were trained on (config.json, model.safetensors)
  -h, --help      this text
`;

async function pickVersion(db: Store, round: number | undefined, tag: string | undefined): Promise<{ version: string; round: number }> {
  const models = await db.models();
  if (tag !== undefined) {
    const m = models.find((x) => x.tags.includes(tag));
    if (m === undefined) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `no version is tagged ${JSON.stringify(tag)} (tags: ${models.flatMap((x) => x.tags).join(', ') || 'none'})`);
    return { version: m.version, round: m.round };
  }
  if (round !== undefined) {
    const r = await db.round(round);
    if (r === null) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `round ${round} is not in the store`);
    if (r.status !== 'completed' || r.modelVersion === null) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `round ${round} ${r.status === 'aborted' ? `aborted (${r.abortReason ?? 'no reason'})` : 'produced no model'}`);
    return { version: r.modelVersion, round };
  }
  const state = await db.runState();
  if (state === null || state.modelVersion === null) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `${db.description} holds no model yet`);
  return { version: state.modelVersion, round: state.lastRound };
}

/** The base folder's weights by name, for merging. */
async function readBase(dir: string): Promise<{ tensors: Map<string, NamedTensor>; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'model.safetensors'));
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `--base ${dir}: ${(err as Error).message}`);
  }
  const file = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { tensors: new Map([...file.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data }])), metadata: file.metadata };
}

export async function runExportCommand(args: string[], out: Write): Promise<number> {
  const { values } = parseFlags(args, {
    out: { type: 'string' },
    round: { type: 'string' },
    tag: { type: 'string' },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    merged: { type: 'boolean', default: false },
    base: { type: 'string' },
  });
  if (values.out === undefined || values.out === '') throw new UsageError('export needs --out PATH');
  if (values.round !== undefined && values.tag !== undefined) throw new UsageError('give --round or --tag, not both');
  if (values.merged !== (values.base !== undefined)) throw new UsageError('--merged and --base go together');
  const round = values.round === undefined ? undefined : intFlag('round', values.round, 0, 0);
  const loaded: CoordinatorConfig = values.config === undefined ? resolveConfig({}) : await loadConfigFile(values.config);
  const config = resolveConfig({ ...loaded, dataDir: resolve(values['data-dir'] ?? loaded.dataDir ?? DEFAULT_DATA_DIR) });
  if (storePath(config) === ':memory:') throw new UsageError('the config keeps its store in memory: there is nothing to export');
  const db = await openStore(config, nodeCryptoProvider, { shared: true });
  try {
    const picked = await pickVersion(db, round, values.tag);
    const weights = await db.model(picked.version);
    if (weights === null) {
      const kept = (await db.models()).filter((m) => !m.pruned);
      throw new FedtuneError(
        'FT_ERR_UNKNOWN_MODEL',
        `the weights of ${picked.version.slice(0, 12)} (round ${picked.round}) were dropped by retention (store.retention.keepLast ${config.store.retention.keepLast}); kept: rounds ${kept.map((m) => m.round).join(', ')}`,
      );
    }
    const info = JSON.parse((await db.getMeta('model_info')) ?? '{}') as Record<string, string>;
    const meta = { ...info, 'fedtune.version': picked.version, 'fedtune.round': String(picked.round) };
    if (values.merged) {
      if (info['format'] !== 'fedtune-lora') throw new FedtuneError('FT_ERR_CONFIG', `--merged is for LoRA runs; this run's model is ${info['format'] ?? 'of unknown format'}`);
      const scale = Number(info['alpha']) / Number(info['rank']);
      const base = await readBase(values.base!);
      const adapters = new Map(splitTensors(weights).map(({ spec, values: data }) => [spec.name, { shape: [...spec.shape], data }]));
      const merged = mergeLora(base.tensors, adapters, scale);
      await mkdir(values.out, { recursive: true });
      await writeFile(join(values.out, 'model.safetensors'), serializeSafetensors([...merged].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), { ...base.metadata, format: 'pt', 'fedtune.merged': `${meta['fedtune.version']} (round ${picked.round})` }));
      for (const f of ['config.json', 'vocab.json', 'merges.txt', 'tokenizer.json']) await copyFile(join(values.base!, f), join(values.out, f)).catch(() => undefined);
      out(`wrote ${values.out}/ (base ${values.base} + adapters of round ${picked.round} merged, scale ${scale}; model ${picked.version})\n`);
    } else {
      await writeFile(values.out, weightsToSafetensors(weights, meta));
      out(`wrote ${values.out} (round ${picked.round}, model ${picked.version}, ${weights.tensors.length} tensors, ${weights.data.length} values${info['format'] === 'fedtune-lora' ? `; LoRA adapters over ${info['base'] ?? 'an unnamed base'}` : ''})\n`);
    }
    await db.audit({ at: Date.now(), kind: 'export', detail: { out: resolve(values.out), round: picked.round, version: picked.version, tag: values.tag ?? null, merged: values.merged } });
  } finally {
    await db.close();
  }
  return 0;
}
