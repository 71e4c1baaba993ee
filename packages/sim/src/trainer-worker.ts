// Worker thread body: builds some of a simulation's nodes' trainers (its own tfjs engine and
// backend) from the workload's name and the simulation's seed, and serves calls on them.
import { parentPort } from 'node:worker_threads';
import { forkSeed, nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { activeBackend, type LocalTrainer } from '@fedtune/client';
import { errorToMessage, type NodeInfo, type TrainerReply, type TrainerRequest, type TrainerValue, type TrainerWorkerSpec } from './trainer-messages.js';
import { findWorkload } from './workloads.js';

const trainers = new Map<number, LocalTrainer>();

async function init(spec: TrainerWorkerSpec): Promise<NodeInfo[]> {
  for (const n of spec.nodes) if (!Number.isSafeInteger(n) || n < 0 || n >= spec.clients) throw new RangeError(`trainer worker: node ${n} outside [0, ${spec.clients})`);
  const workload = findWorkload(spec.model, spec.dataset);
  // Selected here first so that only the first thread logs the choice (the workload's own
  // activeBackend call then finds it made).
  await activeBackend(spec.backend, spec.nodes[0] === 0 ? undefined : () => {});
  const built = await workload.createNodes({
    clients: spec.clients,
    partition: spec.partition,
    random: seededRandom(nodeCryptoProvider, forkSeed(spec.seed, 'data')),
    nodes: spec.nodes,
    ...(spec.backend === undefined ? {} : { backend: spec.backend }),
    ...(spec.localDp === undefined ? {} : { localDp: spec.localDp }),
  });
  // A workload that ignores `nodes` builds every node: keep this thread's, free the others.
  let mine = built;
  if (built.length !== spec.nodes.length && built.length === spec.clients) {
    mine = spec.nodes.map((n) => built[n]!);
    built.forEach((t, i) => spec.nodes.includes(i) || t.dispose());
  }
  if (mine.length !== spec.nodes.length) throw new Error(`workload ${spec.model} built ${built.length} trainers for ${spec.nodes.length} nodes of ${spec.clients}`);
  return spec.nodes.map((node, i) => {
    const t = mine[i]!;
    trainers.set(node, t);
    return { node, tensors: t.tensors.map((s) => ({ name: s.name, shape: [...s.shape] })), backend: t.backend, weights: t.getWeights() };
  });
}

function trainer(node: number): LocalTrainer {
  const t = trainers.get(node);
  if (t === undefined) throw new RangeError(`trainer worker: no node ${node} here`);
  return t;
}

async function handle(req: TrainerRequest): Promise<{ value: TrainerValue; transfer: ArrayBuffer[] }> {
  switch (req.op) {
    case 'init': {
      const nodes = await init(req.spec);
      return { value: { nodes }, transfer: nodes.map((n) => n.weights.buffer as ArrayBuffer) };
    }
    case 'set':
      trainer(req.node).setWeights(req.weights);
      return { value: null, transfer: [] };
    case 'fit': {
      const t = trainer(req.node);
      const fit = await t.fit(req.config);
      const weights = t.getWeights();
      return { value: { fit, weights }, transfer: [weights.buffer as ArrayBuffer] };
    }
    case 'evaluate':
      return { value: { evaluate: await trainer(req.node).evaluate(req.config) }, transfer: [] };
    case 'dispose':
      trainer(req.node).dispose();
      trainers.delete(req.node);
      return { value: null, transfer: [] };
  }
}

parentPort!.on('message', (req: TrainerRequest) => {
  handle(req).then(
    ({ value, transfer }) => parentPort!.postMessage({ id: req.id, ok: true, value } satisfies TrainerReply, transfer),
    (err: unknown) => parentPort!.postMessage({ id: req.id, ok: false, error: errorToMessage(err) } satisfies TrainerReply),
  );
});
