// The demo's outputs: the side-by-side table for the terminal, the Markdown report, and an SVG plot
// of each arm's validation loss and the DP arm's epsilon per round, with both arms' exposure. The
// SVG is written by hand (a few lines and labels need no library or browser).
import type { DemoReport, DemoRun } from './demo-experiment.js';

const fmtPpl = (x: number): string => (x < 1e4 ? x.toFixed(2) : x.toExponential(2));

const ROWS: readonly [string, (r: DemoRun) => string][] = [
  ['validation perplexity (held-out notes, every clinic)', (r) => fmtPpl(r.valPerplexity)],
  ['base model perplexity (same notes)', (r) => fmtPpl(r.basePerplexity)],
  ['exposure of the secret, rank (bits)', (r) => `${r.exposure.toFixed(2)} of ${r.exposureMax.toFixed(2)} (rank ${r.secretRank})`],
  ['exposure, skew-normal extrapolation (bits)', (r) => r.exposureSkewNormal.toFixed(2)],
  ["a random candidate's expected exposure", (r) => r.randomExposure.toFixed(2)],
  ['greedy completion of the prefix', (r) => JSON.stringify(r.completion)],
  ['leaked ("pancreatic cancer" in it)', (r) => (r.leaked ? 'YES' : 'no')],
  ['membership inference AUC [95% CI]', (r) => `${r.miaAuc.toFixed(3)} [${r.miaAucCi[0].toFixed(3)}, ${r.miaAucCi[1].toFixed(3)}]`],
  ['epsilon (delta)', (r) => (r.epsilon === null ? 'none' : `${r.epsilon.toFixed(2)} (${r.delta})`)],
  ['unit of privacy', (r) => (r.dp ? 'the patient' : '-')],
  ['training time', (r) => `${r.trainSeconds.toFixed(0)} s`],
];

/** The side-by-side table the CLI prints. */
export function formatDemoTable(r: DemoReport): string {
  const w0 = Math.max(...ROWS.map(([n]) => n.length));
  const w = r.runs.map((run) => Math.max(run.name.length, ...ROWS.map(([, f]) => f(run).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(i === 0 ? w0 : w[i - 1]!)).join('  ').trimEnd();
  return [line(['', ...r.runs.map((x) => x.name)]), ...ROWS.map(([n, f]) => line([n, ...r.runs.map(f)]))].join('\n') + '\n';
}

/** The bar of issue 12 item 3, one line per check. */
export function formatBar(r: DemoReport): string {
  return r.bar.map((b) => `${b.met ? 'met   ' : 'MISSED'} ${b.check}: ${b.detail}`).join('\n') + '\n';
}

/** The Markdown report. */
export function demoMarkdown(r: DemoReport): string {
  const table = ['| | ' + r.runs.map((x) => x.name).join(' | ') + ' |', '|---|' + r.runs.map(() => '---|').join(''), ...ROWS.map(([n, f]) => `| ${n} | ${r.runs.map((x) => f(x).replace(/\|/g, '\\|')).join(' | ')} |`)];
  const red = Object.entries(r.redaction.total).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    '# fedtune demo: private fine-tuning that stays useful, and does not leak',
    '',
    `${r.clinics} clinics (${r.patients} training patients) fine-tune LoRA adapters of a base model pretrained on public text only, through secure aggregation, once without DP and once with DP. ` +
      `Clinic ${r.canaryClinic}'s data holds the secret "${r.secret}" k = ${r.k} times, as ${r.k} notes of one patient.${r.quick ? ' (Quick run: a smaller model, fewer patients and rounds.)' : ''}`,
    '',
    ...table,
    '',
    '## The bar (issue 12, item 3)',
    '',
    ...r.bar.map((b) => `- ${b.met ? 'met' : '**missed**'}: ${b.check}: ${b.detail}`),
    '',
    '## Why this DP mode',
    '',
    r.choice,
    '',
    '## Redaction',
    '',
    `Caught in the clinics' notes: ${red}. ${r.redaction.note}`,
    '',
    '## How each figure is measured',
    '',
    `- Validation perplexity: an analyst with the released model (base + federated adapters) on every clinic's held-out patients' notes, token-weighted; never federated evaluation (which DP rules out).`,
    `- Exposure (Carlini et al. 2019): the secret's rank among "${r.prefix} a severe form of <condition>" for ${r.candidates} conditions by log-perplexity; log2 ${r.candidates} - log2 rank, and the skew-normal extrapolation fitted to the other candidates. A secret the model knows nothing about gets ${r.runs[0]?.randomExposure.toFixed(2) ?? '1.44'} bits on average, but any one secret's exposure varies: -log2 U, U uniform (above 2.44 bits 18% of the time).`,
    `- Leaked: greedy decoding of "${r.prefix}" contains "pancreatic cancer".`,
    `- Membership inference (Yeom et al. 2018): loss threshold on ${r.membershipNotes.members} training patients' notes against ${r.membershipNotes.nonMembers} held-out patients' notes; AUC with a 1,000-resample bootstrap 95% interval.`,
    `- Epsilon: what the clinics attest from their own accountants (RDP of the Poisson-subsampled Gaussian), the largest over clinics.`,
    `- Base model: built ${r.base.built ? 'by this run' : 'earlier and read from the cache'} (${r.base.buildSeconds.toFixed(0)} s to build); this run took ${r.seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Validation loss per round for both arms (left axis), the DP arm's epsilon (right axis), and the exposures. */
export function demoSvg(r: DemoReport): string {
  const W = 720;
  const H = 400;
  const m = { left: 60, right: 60, top: 40, bottom: 90 };
  const rounds = Math.max(1, ...r.runs.map((x) => x.rounds.length));
  const losses = r.runs.flatMap((x) => x.rounds.map((p) => p.valLoss)).concat(r.runs.map((x) => Math.log(x.basePerplexity)));
  const lo = Math.min(...losses) * 0.9;
  const hi = Math.max(...losses) * 1.05;
  const epsMax = Math.max(8, ...r.runs.flatMap((x) => x.rounds.map((p) => p.epsilon ?? 0)));
  const x = (i: number): number => m.left + (i / rounds) * (W - m.left - m.right);
  const y = (v: number): number => m.top + (1 - (v - lo) / (hi - lo)) * (H - m.top - m.bottom);
  const ye = (e: number): number => m.top + (1 - e / epsMax) * (H - m.top - m.bottom);
  const colors = ['#d62728', '#1f77b4'];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Validation loss per round (left), epsilon (right)</text>`);
  parts.push(`<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="black"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="black"/><line x1="${W - m.right}" y1="${m.top}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#777"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
    const e = (epsMax * k) / 4;
    parts.push(`<text x="${W - m.right + 6}" y="${ye(e) + 4}" fill="#777">${e.toFixed(1)}</text>`);
  }
  for (let i = 0; i <= rounds; i++) parts.push(`<text x="${x(i)}" y="${H - m.bottom + 16}" text-anchor="middle">${i}</text>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - m.bottom + 32}" text-anchor="middle">round (0: the base model)</text>`);
  r.runs.forEach((run, a) => {
    const pts = [[0, Math.log(run.basePerplexity)] as const, ...run.rounds.map((p) => [p.round, p.valLoss] as const)];
    parts.push(`<polyline fill="none" stroke="${colors[a % 2]}" stroke-width="2" points="${pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
    if (run.dp) {
      const eps = [[0, 0] as const, ...run.rounds.map((p) => [p.round, p.epsilon ?? 0] as const)];
      parts.push(`<polyline fill="none" stroke="${colors[a % 2]}" stroke-dasharray="5,4" stroke-width="1.5" points="${eps.map(([i, e]) => `${x(i).toFixed(1)},${ye(e).toFixed(1)}`).join(' ')}"/>`);
    }
    const ly = H - m.bottom + 52 + a * 18;
    parts.push(`<line x1="${m.left}" y1="${ly - 4}" x2="${m.left + 24}" y2="${ly - 4}" stroke="${colors[a % 2]}" stroke-width="2"/>`);
    parts.push(
      `<text x="${m.left + 30}" y="${ly}">${esc(run.name)}: exposure ${run.exposure.toFixed(2)} of ${run.exposureMax.toFixed(2)} bits, leaked ${run.leaked ? 'YES' : 'no'}${run.epsilon === null ? '' : `, epsilon ${run.epsilon.toFixed(2)} (dashed)`}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
