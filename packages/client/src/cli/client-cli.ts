// `fedtune-client`: joins a coordinator as an edge node (and keeps the final model), generates text
// from a fine-tuned language model, or reports the training backends. `join` exits 0 only when
// training finished with every configured round completed; otherwise 1, with the reason.
import { readFile, writeFile } from 'node:fs/promises';
import { FedtuneError, nodeCryptoProvider, seededRandom, systemRandom, weightsToSafetensors, type Weights } from '@fedtune/shared';
import { splitValidation } from '../data/dataset.js';
import { loadTabular } from '../data/load-tabular.js';
import { FederatedClient } from '../federated-client.js';
import { LayersModelTrainer } from '../training/layers-trainer.js';
import { DpSgdTrainer } from '../training/dp-sgd-trainer.js';
import { DpSgdOnDemand } from '../training/dp-sgd-on-demand.js';
import { createLmNode } from '../training/lm-node.js';
import type { LocalTrainer } from '../training/trainer.js';
import { buildMlp } from '../training/mlp.js';
import { activeBackend } from '../training/tf-backend.js';
import { UsageError, intFlag, packageVersion, parseFlags, runTool, withQuietNative, type ToolSpec, type Write } from '@fedtune/shared/cli';
import { BACKEND_ORDER, isBackendName, quietTfjs } from '../backend/index.js';
import { DOCTOR_HELP, runDoctorCommand } from './doctor-command.js';
import { GENERATE_HELP, runGenerateCommand } from './generate-command.js';
import { loraInfo, wholeModelInfo } from '../lm/saved-model.js';

export const JOIN_HELP = `Usage: fedtune-client join --url URL --token TOKEN --data PATH [options]

Joins a coordinator as an edge node and trains on local data until training ends.

  --url URL             the coordinator (http:// or https://); several instances of one run:
                        URL,URL,... (tried in turn: when one stops answering, the next)
  --token TOKEN         enrollment token (or the FEDTUNE_TOKEN environment variable)
  --data PATH           local training data (see --model)
  --model M             mlp (default) | gpt-tiny | gpt2-lora (every node must use the same)
                        mlp: PATH is CSV with a header row, or JSONL; numeric features and an
                        integer label column.
                        gpt-tiny / gpt2-lora: PATH is text (documents separated by blank lines)
                        or JSONL; PII is redacted before training and the node prints what it
                        removed.
  --base DIR            gpt2-lora: a local GPT-2 folder (config.json, model.safetensors,
                        vocab.json + merges.txt); only LoRA adapters are federated
  --field NAME          JSONL field holding the text (default text)
  --names FILE          extra names to redact, one per line
  --no-redact           train on the text as it is (not recommended)
  --label-column NAME   label column (default label)
  --classes N           number of classes (default: max label + 1; set it so every node builds
                        the same model)
  --hidden A,B          MLP hidden layer sizes (default 64,32)
  --learning-rate LR    local SGD learning rate (default 0.1)
  --backend B           force tensorflow | webgpu | wasm | cpu
  --ca FILE             trust this CA (PEM) for an https coordinator
  --secagg-trust-coordinator-dropouts
                        accept secure-aggregation thresholds t <= k/2, trusting the coordinator
                        to report dropouts truly (honest-but-curious; use only if the coordinator
                        does too). Without it the node refuses such rounds: a coordinator that
                        lied about dropouts could otherwise rebuild this node's update
  --name NAME           a name for logs (default: hostname)
  --save PATH           when training finishes, write the final global model here (safetensors:
                        mlp weights; gpt2-lora adapters with the base named; gpt-tiny the whole
                        model), for \`fedtune-client generate\` or your own code

Differential privacy: the node follows what each round asks. Under central or distributed DP it
clips its update (and adds its share of the noise), sends no metric and no example count, and
answers no evaluation request; a local-sgd round trains with record-level DP-SGD at the
coordinator's noise multiplier and clip (expected batch: the round's batchSize, else 32 for mlp
and 16 for language models), the node attesting its own epsilon. A round the node cannot run as
asked is refused with FT_ERR_DP_REFUSED; nothing is sent.

A coordinator that stops to restart says so; the node keeps its state, reconnects with backoff and
rejoins the resumed run. Exit status: 0 when training finished with every configured round
completed; 1 when it ended short (rounds aborted, the privacy budget) or this node was refused
(bad or revoked token, another protocol, another model: the message says which); 2 for a usage or
data mistake.

  --verbose             let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help            this text
`;

async function join(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    url: { type: 'string' },
    token: { type: 'string' },
    data: { type: 'string' },
    'label-column': { type: 'string', default: 'label' },
    classes: { type: 'string' },
    hidden: { type: 'string', default: '64,32' },
    'learning-rate': { type: 'string', default: '0.1' },
    backend: { type: 'string' },
    name: { type: 'string' },
    ca: { type: 'string' },
    model: { type: 'string', default: 'mlp' },
    base: { type: 'string' },
    field: { type: 'string' },
    names: { type: 'string' },
    'no-redact': { type: 'boolean', default: false },
    save: { type: 'string' },
    'secagg-trust-coordinator-dropouts': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  const token = values.token ?? process.env.FEDTUNE_TOKEN;
  if (values.url === undefined || token === undefined || values.data === undefined) throw new UsageError('join needs --url, --token (or FEDTUNE_TOKEN) and --data');
  const urls = values.url.split(',').map((u) => u.trim());
  if (urls.some((u) => u === '')) throw new UsageError('--url: an empty URL in the list');
  const hidden = values.hidden.split(',').map((h) => intFlag('hidden', h, 0, 1));
  const lr = Number(values['learning-rate']);
  if (!(lr > 0)) throw new UsageError(`--learning-rate must be > 0, got ${values['learning-rate']}`);
  if (values.backend !== undefined && !isBackendName(values.backend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(' | ')}, got ${JSON.stringify(values.backend)}`);
  if (!values.verbose) quietTfjs();
  const backend = await activeBackend(values.backend);
  const random = systemRandom(nodeCryptoProvider);
  let trainer: LocalTrainer;
  let modelInfo: Record<string, string>;
  if (values.model === 'gpt-tiny' || values.model === 'gpt2-lora') {
    const names = values.names === undefined ? [] : (await readFile(values.names, 'utf8')).split(/\r?\n/).filter((l) => l.trim().length > 0);
    const node = await createLmNode({
      model: values.model,
      ...(values.base === undefined ? {} : { base: values.base }),
      data: values.data,
      ...(values.field === undefined ? {} : { field: values.field }),
      redact: !values['no-redact'],
      names,
      random,
      backend,
    });
    err(`${node.documents} documents; ${node.redactionLine}\n`);
    trainer = new DpSgdOnDemand(node.trainer, node.dpSgd, 16);
    modelInfo = values.model === 'gpt2-lora' ? await loraInfo(node.trainer.model, values.base!) : wholeModelInfo(node.trainer.model.config, 'byte');
  } else if (values.model === 'mlp') {
    const data = await loadTabular(values.data, values['label-column'], values.classes === undefined ? undefined : intFlag('classes', values.classes, 0, 2));
    if (data.summary.classesFrom === 'inferred') {
      err(`--classes not given: ${data.numClasses} classes (this file's largest label ${data.summary.maxLabel} + 1); every node must use the same number, so give --classes N when a node may lack a class\n`);
    }
    modelInfo = { format: 'fedtune-model', model: 'mlp', classes: String(data.numClasses), features: String(data.numFeatures) };
    const { train, validation } = splitValidation(data, 0.2);
    // The initial weights only matter if the coordinator asks this node for them (round 0).
    const model = buildMlp({ inputs: data.numFeatures, hidden, classes: data.numClasses, learningRate: lr }, random);
    const plain = new LayersModelTrainer({ model, train, validation, random: seededRandom(nodeCryptoProvider, Buffer.from(nodeCryptoProvider.randomBytes(16))), backend });
    // local-sgd: DP-SGD over the same model, Poisson sampling and noise from the OS CSPRNG.
    trainer = new DpSgdOnDemand(
      plain,
      async (p) => new DpSgdTrainer({ model, train, validation, random, backend, l2Clip: p.l2Clip, noiseMultiplier: p.noiseMultiplier, delta: p.delta, batchSize: Math.min(p.batchSize, train.labels.length), learningRate: lr }),
      32,
    );
  } else {
    throw new UsageError(`--model must be mlp, gpt-tiny or gpt2-lora, got ${JSON.stringify(values.model)}`);
  }
  const ca = values.ca === undefined ? undefined : await readFile(values.ca, 'utf8').catch((e: Error) => Promise.reject(new UsageError(`--ca: ${e.message}`)));
  const client = new FederatedClient({
    url: urls.length === 1 ? urls[0]! : urls,
    token,
    trainer,
    nodeName: values.name ?? (await import('node:os')).hostname(),
    secaggTrustCoordinatorDropouts: values['secagg-trust-coordinator-dropouts'],
    modelInfo,
    ...(ca === undefined ? {} : { tls: { ca } }),
  });
  client.on('welcome', (w) => err(`joined as ${w.nodeId} (backend ${backend})\n`));
  client.on('fitDone', (f) => {
    err(`round ${f.round}: trained on ${f.numExamples} examples, uploaded ${f.uploadBytes} bytes\n`);
    if (f.dp?.mode === 'local-sgd') err(`round ${f.round}: DP-SGD at noise multiplier ${f.dp.noiseMultiplier} and clip ${f.dp.l2Clip}; this node's epsilon ${f.dp.epsilon!.toFixed(4)} at delta ${f.dp.delta}\n`);
    else if (f.dp !== undefined) err(`round ${f.round}: ${f.dp.mode} DP, update clipped to ${f.dp.l2Clip}${f.dp.localVariance === undefined ? '' : `, noise variance ${f.dp.localVariance.toPrecision(4)} added`}\n`);
  });
  client.on('evaluated', (e) => err(`round ${e.round}: validation loss ${e.loss.toFixed(4)}\n`));
  client.on('roundEnd', (r) => err(`round ${r.round} ${r.status}${r.reason ? `: ${r.reason}` : ''}\n`));
  let restarting = false;
  client.on('restarting', (r) => {
    restarting = true;
    err(`coordinator restarting (${r.reason}); reconnecting in about ${(r.retryInMs / 1000).toFixed(1)} s\n`);
  });
  client.on('disconnected', (reason) => {
    if (!restarting) err(`disconnected (${reason}); reconnecting\n`);
    restarting = false;
  });
  client.on('unreachable', (u) => err(`no coordinator answers at ${u.url} (${u.message}); retry ${u.attempt} in about ${(u.retryInMs / 1000).toFixed(1)} s\n`));
  client.on('error', (e) => err(`error ${e.code}: ${e.message}\n`));
  try {
    await client.start();
  } catch (e) {
    await client.close();
    throw e;
  }
  const ended = await client.ended;
  try {
    if (ended.finished !== undefined) {
      out(`training finished: ${ended.finished.reason}; model ${ended.finished.modelVersion ?? 'none'}\n`);
      if (values.save !== undefined && ended.finished.modelVersion !== null) {
        const weights = await client.fetchModel(ended.finished.modelVersion);
        await saveModel(values.save, weights, { ...modelInfo, 'fedtune.version': ended.finished.modelVersion });
        out(`saved the final model to ${values.save}\n`);
      }
    }
  } finally {
    await client.close();
  }
  if (ended.ok) return 0;
  if (ended.error !== undefined) throw ended.error;
  err(`training ended before completing: ${ended.reason}\n`);
  return 1;
}

/** Writes the final model as safetensors, with what it is in the metadata. @throws FedtuneError FT_ERR_CONFIG when it cannot be written. */
async function saveModel(path: string, weights: Weights, metadata: Record<string, string>): Promise<void> {
  try {
    await writeFile(path, weightsToSafetensors(weights, metadata));
  } catch (e) {
    throw new FedtuneError('FT_ERR_CONFIG', `--save ${path}: ${(e as Error).message}`);
  }
}

export function clientTool(out: Write, err: Write): ToolSpec {
  return {
    name: 'fedtune-client',
    version: packageVersion(import.meta.url),
    about: 'A fedtune edge node: trains on local data and sends only clipped, noised, masked updates to a coordinator.',
    commands: {
      join: { summary: 'join a coordinator and train on local data until training ends', help: JOIN_HELP, run: (rest) => join(rest, out, err) },
      generate: { summary: 'text from a fine-tuned language model (a base, optionally LoRA adapters)', help: GENERATE_HELP, run: (rest) => runGenerateCommand(rest, out, err) },
      doctor: {
        summary: 'which training backends work here, why, and the choice',
        help: DOCTOR_HELP,
        run: (rest) => {
          if (!rest.includes('--verbose')) quietTfjs();
          return runDoctorCommand(rest, out);
        },
      },
    },
  };
}

export async function main(argv: string[], out: Write = (s) => void process.stdout.write(s), err: Write = (s) => void process.stderr.write(s)): Promise<number> {
  return runTool(clientTool(out, err), argv, out, err);
}

/** The installed command: `main` with native libraries' stderr noise filtered unless --verbose. */
export function runCommandLine(argv: string[]): Promise<number> {
  return withQuietNative(argv, () => main(argv));
}
