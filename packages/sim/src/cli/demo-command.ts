// `fedtune-sim demo` (`pnpm demo`): runs the demo experiment, draws a progress bar per arm, prints
// the side-by-side table and the bar of issue 12, and writes demo-report.json, a Markdown report and
// an SVG plot.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { activeBackend, BACKEND_ORDER, isBackendName, quietTfjs } from '@fedtune/client';
import { intFlag, parseFlags, UsageError, type Write } from '@fedtune/shared/cli';
import { ensureBaseModel } from '../demo/base-model.js';
import { runDemo, type DemoEvent } from '../demo/demo-experiment.js';
import { demoMarkdown, demoSvg, formatBar, formatDemoTable } from '../demo/demo-report.js';
import { FULL_SETTINGS, QUICK_SETTINGS } from '../demo/demo-settings.js';

export const DEMO_HELP = `Usage: fedtune-sim demo [--quick] [--report PATH] [options]

The demo (also \`pnpm demo\`). Eight clinics fine-tune LoRA adapters of a small GPT, pretrained on
public text only, on their own synthetic clinical notes (PII redacted first) through secure
aggregation: once without DP, once with patient-level DP-SGD in every clinic (epsilon 8, delta
1e-5). One clinic's notes hold "François Dupont suffers from a severe form of pancreatic cancer"
k times. Each arm is audited by an analyst with the released model: validation perplexity (and
the base model's), the secret's exposure among 1,290 conditions, whether greedy decoding
completes it, membership inference AUC, epsilon. The base model is built on the first run (about
half a minute on 2 cores) and cached; --build-base builds it alone.

  --quick           the CI run: the same model, fewer patients and rounds (within 3 minutes)
  --report PATH     the JSON report (default demo-report.json); the Markdown report and the SVG
                    plot go beside it (PATH with .md and .svg)
  --cache DIR       where base models are cached (default node_modules/.cache/fedtune-demo)
  --build-base      only build (or find) the cached base model and print its folder
  --seed S          seed of the data, the training order and the audits (default 1); the base
                    model has its own fixed seed; DP noise always comes from the OS CSPRNG
  --workers N       threads that train the clinics (default: one per core)
  --backend B       force a training backend: ${BACKEND_ORDER.join(' | ')}
  --quiet           no progress output
  --verbose         let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help        this text

Without DP the secret leaks; with DP it does not, and the model stays useful: the table says by
how much, and the bar lists every check of the claim with its figure.
`;

function progress(write: Write, tty: boolean): (e: DemoEvent) => void {
  let rounds = 1;
  const bar = (done: number, total: number, text: string, end: boolean): void => {
    const width = 24;
    const n = Math.round((done / total) * width);
    const line = `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${text}`;
    if (tty) write(`\r${line}${end ? '\n' : ''}`);
    else if (end || done === total) write(`${line}\n`);
  };
  return (e) => {
    switch (e.kind) {
      case 'base':
        if (e.step === 1) write('building the base model from public text (cached for later runs)\n');
        if (tty || e.step === e.steps) bar(e.step, e.steps, `pretraining ${e.step}/${e.steps} loss ${e.loss.toFixed(3)}`, e.step === e.steps);
        return;
      case 'base-ready':
        write(`base model: ${e.info.built ? 'built' : 'cached'} (${e.info.buildSeconds.toFixed(0)} s to build), ${e.info.dir}\n`);
        return;
      case 'arm':
        rounds = e.rounds;
        write(`${e.name}\n`);
        bar(0, rounds, `round 0/${rounds}`, false);
        return;
      case 'round': {
        const s = e.summary;
        const eps = s.epsilon === null ? '' : `, epsilon ${s.epsilon.toFixed(2)}`;
        bar(s.round, rounds, `round ${s.round}/${rounds} ${s.status} (${s.survivors} clinics${eps}, ${(s.durationMs / 1000).toFixed(1)} s)`, s.round === rounds);
        return;
      }
      case 'audit':
        write(`auditing: ${e.name}\n`);
    }
  };
}

export async function demoCommand(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    quick: { type: 'boolean', default: false },
    report: { type: 'string', default: 'demo-report.json' },
    cache: { type: 'string' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string' },
    backend: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'build-base': { type: 'boolean', default: false },
  });
  if (!values.verbose) quietTfjs();
  if (values.backend !== undefined && !isBackendName(values.backend)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
  if (!values.report.endsWith('.json')) throw new UsageError(`--report must name a .json file, got ${JSON.stringify(values.report)}`);
  const settings = values.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const cacheDir = resolve(values.cache ?? 'node_modules/.cache/fedtune-demo');
  if (values['build-base']) {
    // The backend the demo would train on: tfjs' default (plain JS) is many times slower.
    await activeBackend(values.backend);
    const onEvent = values.quiet ? undefined : progress(err, process.stderr.isTTY === true);
    const info = await ensureBaseModel(settings.base, cacheDir, (step, steps, loss) => onEvent?.({ kind: 'base', step, steps, loss }));
    out(`${info.dir}\n${info.built ? 'built' : 'cached'}: ${info.buildSeconds.toFixed(0)} s to build, public validation loss ${info.publicValidationLoss.toFixed(3)} nats per token\n`);
    return 0;
  }
  const report = await runDemo({
    settings,
    seed: values.seed,
    cacheDir,
    ...(values.backend === undefined ? {} : { backend: values.backend }),
    ...(values.workers === undefined ? {} : { workers: intFlag('workers', values.workers, 0, 0) }),
    ...(values.quiet ? {} : { onEvent: progress(err, process.stderr.isTTY === true) }),
  });
  const json = resolve(values.report);
  const md = json.replace(/\.json$/, '.md');
  const svg = json.replace(/\.json$/, '.svg');
  await mkdir(dirname(json), { recursive: true });
  await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  await writeFile(md, demoMarkdown(report));
  await writeFile(svg, demoSvg(report));
  out(`\nsecret: ${report.secret} (k = ${report.k} copies, one patient of clinic ${report.canaryClinic})\n\n`);
  out(formatDemoTable(report));
  out(`\n${formatBar(report)}`);
  out(`\n${report.choice}\n\n`);
  out(`redaction caught: ${Object.entries(report.redaction.total).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}. The secret was planted after redaction: it stands for the facts no redaction catches.\n`);
  out(`\nreports: ${json}, ${md}, ${svg} (${report.seconds.toFixed(0)} s)\n`);
  return 0;
}
