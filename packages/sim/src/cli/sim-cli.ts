// `fedtune-sim`: runs a simulated federation (embedded coordinator + N nodes over loopback
// sockets) and writes the JSON report.
import { writeFile } from 'node:fs/promises';
import { STRATEGY_NAMES, isPostgresUrl, type StrategyName, type RoundSummary } from '@fedtune/coordinator';
import { formatCanaryTable, runCanaryExperiment } from '../canary-experiment.js';
import { demoCommand, DEMO_HELP } from './demo-command.js';
import { runSimulation } from '../simulation.js';
import type { PartitionSpec } from '../workload.js';
import { WORKLOADS } from '../workloads.js';
import { UsageError, intFlag, numberFlag, packageVersion, parseFlags, runTool, withQuietNative, type ToolSpec, type Write } from '@fedtune/shared/cli';
import { BACKEND_ORDER, isBackendName, quietTfjs } from '@fedtune/client';

const RUN_HELP = `Usage: fedtune-sim run [options]

Runs a coordinator and N simulated nodes in this process over real sockets on loopback (the
nodes' training in worker threads, one per core) and writes a JSON report:
{ config, rounds: [...], final }.

  --clients N             simulated nodes (default 10)
  --rounds R              federated rounds (default 5)
  --clients-per-round K   nodes selected each round (default: all)
  --model M               model (default mlp)
  --dataset D             dataset (default synthetic-classification)
  --partition P           iid | dirichlet:ALPHA (default iid)
  --dropout P             probability a selected node vanishes mid-round (default 0)
  --strategy S            ${STRATEGY_NAMES.join(' | ')} (default fedavg)
  --secagg                secure aggregation (SecAgg+): the coordinator sees only the sum
  --secagg-clip C         L2 clip bound of each delta before ring encoding (default 10)
  --secagg-active         active mode: enrolled Ed25519 identities sign keys; ConsistencyCheck
  --secagg-trust-coordinator-dropouts
                          opt in to the honest-but-curious threshold (t may be <= k/2: sparse
                          graphs at high dropout), trusting the coordinator to report dropouts
                          truly; without it t > k/2, so a coordinator that tells some neighbours
                          a node survived and others it dropped cannot rebuild its input
  --dp MODE               distributed (needs --secagg) | central | local-sgd | off (default off)
  --dp-noise N            distributed: discrete-gaussian (default) | skellam, the integer noise
                          each node adds before masking
  --clip C                DP: L2 clip bound of each node's delta (default 1)
  --noise Z               DP: noise multiplier z; or
  --epsilon E             DP: solve z so the planned rounds spend at most E, and stop at E
  --delta D               DP: delta (default 1e-5)
  --sample-rate Q         select each node independently with probability Q (Poisson) instead
                          of --clients-per-round
  --instances N           coordinator instances sharing the run (default 1; above 1 needs --store
                          and --secagg): each runs SecAgg over a group of its own nodes, the
                          leader adds the group sums; nodes spread over them and fail over
  --store URL             PostgreSQL store, postgres://user@host:port/database (a fresh schema,
                          dropped after the run, unless the URL names one with ?schema=NAME)
  --min-group-size M      with --store: the fewest nodes one group's sum may cover (default 0.8 of
                          an instance's expected share after dropout; DP noise is sized for it)
  --backend B             force a training backend: tensorflow | webgpu | wasm | cpu
  --workers N             threads that train the nodes (default: one per core; 0: this thread)
  --seed S                seed for data, partitions, selection and faults (default 1)
  --report PATH           where to write the JSON report (default sim-report.json)
  --quiet                 no progress output
  --verbose               let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help              this text

Workloads: ${WORKLOADS.map((w) => `--model ${w.model} --dataset ${w.dataset}`).join('; ')}
`;

const CANARY_HELP = `Usage: fedtune-sim canary [--clients N] [--rounds R] [--repeats K] [--epsilon E] [--report PATH]

The canary experiment. Federated fine-tuning of gpt-tiny on synthetic patient notes, one node of
which repeats "François Dupont suffers from <secret>." K times (default 40), three times: without
DP, with SecAgg + user-level distributed DP at epsilon E (default 8), and with record-level DP-SGD
inside each node (z 1, C 1); prints validation perplexity, canary exposure (Carlini et al. 2019),
what greedy decoding completes and the epsilon spent, side by side.

  --clients N       nodes (default 4)
  --rounds R        rounds per arm (default 4)
  --repeats K       copies of the canary in one node's data (default 40)
  --epsilon E       the distributed-DP arm's epsilon (default 8)
  --delta D         delta (default 1e-5)
  --candidates M    candidate secrets for the exposure rank (default 2000)
  --seed S          seed (default 1)
  --backend B       force a training backend
  --report PATH     where to write the JSON report (default canary-report.json)
  --verbose         let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help        this text
`;

export function parsePartition(value: string): PartitionSpec {
  if (value === 'iid') return { kind: 'iid' };
  const m = /^dirichlet:([0-9.eE+-]+)$/.exec(value);
  const alpha = m ? Number(m[1]) : NaN;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new UsageError(`--partition must be iid or dirichlet:ALPHA with ALPHA > 0, got ${JSON.stringify(value)}`);
  return { kind: 'dirichlet', alpha };
}

function progress(total: number, tty: boolean, write: Write): (s: RoundSummary) => void {
  return (s) => {
    const ppl = s.evalMetrics.perplexity;
    const acc = s.evalAccuracy !== null ? `acc ${s.evalAccuracy.toFixed(3)}` : ppl !== undefined ? `perplexity ${ppl.toFixed(2)}` : 'acc -';
    const eps = s.epsilon === null ? '' : ` eps ${s.epsilon.toFixed(3)}`;
    const line = `round ${s.round}/${total} ${s.status} survivors ${s.survivors}/${s.selected} ${acc} loss ${s.evalLoss?.toFixed(4) ?? '-'}${eps} ${s.durationMs} ms`;
    if (tty) {
      const width = 24;
      const done = Math.round((s.round / total) * width);
      write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${line}${s.round === total ? '\n' : ''}`);
    } else {
      write(`${line}\n`);
    }
  };
}

async function canary(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    clients: { type: 'string' },
    rounds: { type: 'string' },
    repeats: { type: 'string' },
    epsilon: { type: 'string' },
    delta: { type: 'string' },
    candidates: { type: 'string' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string' },
    report: { type: 'string', default: 'canary-report.json' },
    verbose: { type: 'boolean', default: false },
  });
  if (!values.verbose) quietTfjs();
  if (values.backend !== undefined && !isBackendName(values.backend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
  const result = await runCanaryExperiment({
    clients: intFlag('clients', values.clients, 4, 2),
    rounds: intFlag('rounds', values.rounds, 4, 1),
    repeats: intFlag('repeats', values.repeats, 40, 1),
    epsilon: numberFlag('epsilon', values.epsilon, 8, 1e-6, 1e6),
    delta: numberFlag('delta', values.delta, 1e-5, 1e-300, 0.999),
    candidates: intFlag('candidates', values.candidates, 2000, 10),
    seed: values.seed,
    ...(values.backend === undefined ? {} : { backend: values.backend }),
    onArm: (name) => err(`training: ${name}...\n`),
  });
  await writeFile(values.report, JSON.stringify(result, null, 2) + '\n');
  out(formatCanaryTable(result));
  out(`report: ${values.report}\n`);
  return 0;
}

export function simTool(out: Write, err: Write): ToolSpec {
  return {
    name: 'fedtune-sim',
    version: packageVersion(import.meta.url),
    about: 'A simulated federation on one machine: an embedded coordinator and N edge nodes over real sockets on loopback.',
    commands: {
      run: { summary: 'run a simulation and write its JSON report', help: RUN_HELP, run: (rest) => run(rest, out, err) },
      demo: { summary: 'the demo: private fine-tuning that stays useful, and the proof that it does not leak', help: DEMO_HELP, run: (rest) => demoCommand(rest, out, err) },
      canary: { summary: 'the canary experiment: does a planted secret leak, with and without DP?', help: CANARY_HELP, run: (rest) => canary(rest, out, err) },
    },
  };
}

export async function main(argv: string[], out: Write = (s) => void process.stdout.write(s), err: Write = (s) => void process.stderr.write(s)): Promise<number> {
  return runTool(simTool(out, err), argv, out, err);
}

/** The installed command: `main` with native libraries' stderr noise filtered unless --verbose. */
export function runCommandLine(argv: string[]): Promise<number> {
  return withQuietNative(argv, () => main(argv));
}

async function run(rest: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(rest, {
    clients: { type: 'string' },
    rounds: { type: 'string' },
    'clients-per-round': { type: 'string' },
    model: { type: 'string', default: 'mlp' },
    dataset: { type: 'string', default: 'synthetic-classification' },
    partition: { type: 'string', default: 'iid' },
    dropout: { type: 'string' },
    strategy: { type: 'string', default: 'fedavg' },
    secagg: { type: 'boolean', default: false },
    'secagg-clip': { type: 'string' },
    'secagg-active': { type: 'boolean', default: false },
    'secagg-trust-coordinator-dropouts': { type: 'boolean', default: false },
    dp: { type: 'string', default: 'off' },
    'dp-noise': { type: 'string', default: 'discrete-gaussian' },
    clip: { type: 'string' },
    noise: { type: 'string' },
    epsilon: { type: 'string' },
    delta: { type: 'string' },
    'sample-rate': { type: 'string' },
    backend: { type: 'string' },
    workers: { type: 'string' },
    instances: { type: 'string' },
    store: { type: 'string' },
    'min-group-size': { type: 'string' },
    seed: { type: 'string', default: '1' },
    report: { type: 'string', default: 'sim-report.json' },
    quiet: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  if (!values.verbose) quietTfjs();
  if (!(STRATEGY_NAMES as readonly string[]).includes(values.strategy)) throw new UsageError(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}`);
  if (values.backend !== undefined && !isBackendName(values.backend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
  const clients = intFlag('clients', values.clients, 10, 1);
  const rounds = intFlag('rounds', values.rounds, 5, 1);
  const perRound = values['clients-per-round'] === undefined ? undefined : intFlag('clients-per-round', values['clients-per-round'], clients, 1);
  if (perRound !== undefined && perRound > clients) throw new UsageError(`--clients-per-round ${perRound} > --clients ${clients}`);
  const dpMode = values.dp;
  if (!['distributed', 'central', 'local-sgd', 'off'].includes(dpMode)) throw new UsageError(`--dp must be distributed, central, local-sgd or off, got ${JSON.stringify(dpMode)}`);
  if (dpMode === 'distributed' && !values.secagg && !values['secagg-active']) throw new UsageError('--dp distributed needs --secagg (nobody may see an un-noised update)');
  if (values['secagg-trust-coordinator-dropouts'] && (!values.secagg || values['secagg-active'])) {
    throw new UsageError('--secagg-trust-coordinator-dropouts needs --secagg, and contradicts --secagg-active');
  }
  if (dpMode !== 'off' && values.noise === undefined && values.epsilon === undefined) throw new UsageError(`--dp ${dpMode} needs --noise Z or --epsilon E`);
  if (dpMode === 'local-sgd' && values.epsilon !== undefined) throw new UsageError('--dp local-sgd takes --noise Z: each node accounts for itself at its own sampling rate');
  if (values.noise !== undefined && values.epsilon !== undefined) throw new UsageError('give --noise or --epsilon, not both');
  const dpNoise = values['dp-noise'] as 'discrete-gaussian' | 'skellam';
  if (dpNoise !== 'discrete-gaussian' && dpNoise !== 'skellam') throw new UsageError(`--dp-noise must be discrete-gaussian or skellam, got ${JSON.stringify(dpNoise)}`);
  if (dpNoise !== 'discrete-gaussian' && dpMode !== 'distributed') throw new UsageError('--dp-noise applies to --dp distributed only');
  if (values['sample-rate'] !== undefined && perRound !== undefined) throw new UsageError('give --clients-per-round or --sample-rate, not both');
  const instances = values.instances === undefined ? 1 : intFlag('instances', values.instances, 1, 1);
  if (instances > 64) throw new UsageError(`--instances must be at most 64, got ${instances}`);
  if (values.store !== undefined && !isPostgresUrl(values.store)) throw new UsageError('--store takes a postgres://user@host:port/database URL (not echoed: it may hold a password)');
  if (instances > 1 && values.store === undefined) throw new UsageError('--instances above 1 needs --store postgres://... (the instances share their run there)');
  if (values.store !== undefined && !values.secagg && !values['secagg-active']) throw new UsageError('--store runs the nodes in SecAgg groups: add --secagg');
  if (values.store !== undefined && (dpMode === 'central' || dpMode === 'local-sgd')) throw new UsageError(`--dp ${dpMode} is not available with a PostgreSQL store (several instances): use --dp distributed`);
  if (values['min-group-size'] !== undefined && values.store === undefined) throw new UsageError('--min-group-size needs --store');
  const dp =
    dpMode === 'off'
      ? undefined
      : {
          mode: dpMode as 'distributed' | 'central' | 'local-sgd',
          clip: numberFlag('clip', values.clip, 1, 1e-9, 1e9),
          delta: numberFlag('delta', values.delta, 1e-5, 1e-300, 0.999),
          ...(values.noise === undefined ? {} : { noiseMultiplier: numberFlag('noise', values.noise, 1, 1e-9, 1e9) }),
          ...(values.epsilon === undefined ? {} : { targetEpsilon: numberFlag('epsilon', values.epsilon, 1, 1e-9, 1e9) }),
          noise: dpNoise,
        };
  const report = await runSimulation({
    ...(dp === undefined ? {} : { dp }),
    ...(values['sample-rate'] === undefined ? {} : { sampleRate: numberFlag('sample-rate', values['sample-rate'], 1, 1e-9, 1) }),
    clients,
    rounds,
    ...(perRound === undefined ? {} : { clientsPerRound: perRound }),
    model: values.model,
    dataset: values.dataset,
    partition: parsePartition(values.partition),
    dropout: numberFlag('dropout', values.dropout, 0, 0, 0.99),
    strategy: values.strategy as StrategyName,
    ...(values.secagg || values['secagg-active']
      ? {
          secagg: {
            l2Clip: numberFlag('secagg-clip', values['secagg-clip'], 10, 1e-6, 1e9),
            activeMode: values['secagg-active'],
            trustCoordinatorDropouts: values['secagg-trust-coordinator-dropouts'],
          },
        }
      : {}),
    ...(values.backend === undefined ? {} : { backend: values.backend }),
    ...(values.workers === undefined ? {} : { workers: intFlag('workers', values.workers, 0, 0) }),
    ...(values.store === undefined ? {} : { store: values.store, instances }),
    ...(values['min-group-size'] === undefined ? {} : { minGroupSize: intFlag('min-group-size', values['min-group-size'], 10, 2) }),
    seed: values.seed,
    ...(values.quiet ? {} : { onRound: progress(rounds, process.stderr.isTTY === true, err) }),
  });
  await writeFile(values.report, JSON.stringify(report, null, 2) + '\n');
  const f = report.final;
  out(
    `${f.roundsCompleted} rounds completed (${f.roundsAborted} aborted) on ${f.backend} in ${(f.durationMs / 1000).toFixed(1)} s; ` +
      (f.evalAccuracy !== null
        ? `accuracy ${f.firstEvalAccuracy?.toFixed(3) ?? '-'} -> ${f.evalAccuracy.toFixed(3)}`
        : `validation loss ${f.firstEvalLoss?.toFixed(4) ?? '-'} -> ${f.evalLoss?.toFixed(4) ?? '-'}`) +
      `; report: ${values.report}\n`,
  );
  return 0;
}
