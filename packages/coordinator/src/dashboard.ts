// The dashboard page (GET /): the run's state line, a "waiting for N more nodes" or outcome banner,
// the nodes with their status, and every round, rendered here (escaped: nothing a node sends is
// shown raw); charts of loss, accuracy or perplexity, epsilon, survivors and drops by stage, and
// upload bytes, drawn in the browser by assets/dashboard.js with uPlot (bundled with the package,
// served from /assets: no CDN). The script polls /api/status and swaps in this file's fragment.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TrainingOutcome } from './round/round-engine.js';
import type { RoundSummary } from './round/round-summary.js';
import type { NodeStatus } from './http/routes.js';

export interface DashboardConfig {
  rounds: number;
  minNodes: number;
  strategy: string;
  secagg: boolean;
  dp: string;
}

export interface DashboardStatus {
  engine: string;
  nodes: number;
  modelVersion: string | null;
  config: DashboardConfig;
  waiting: { needed: number; available: number } | null;
  outcome: TrainingOutcome | null;
  rounds: readonly RoundSummary[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function banner(s: DashboardStatus): string {
  if (s.waiting !== null) {
    const more = Math.max(0, s.waiting.needed - s.waiting.available);
    return `<p class="banner waiting" id="waiting">waiting for ${more} more node${more === 1 ? '' : 's'} (${s.waiting.available} of ${s.waiting.needed} connected and ready)</p>`;
  }
  if (s.outcome !== null) {
    const cls = s.outcome.status === 'completed' ? 'done' : 'failed';
    return `<p class="banner ${cls}" id="outcome">training ${s.outcome.status === 'stopped' ? 'stopped' : 'finished'}: ${esc(s.outcome.reason)}</p>`;
  }
  return '';
}

function nodeRows(nodes: readonly NodeStatus[]): string {
  return nodes
    .map(
      (n) =>
        `<tr class="${n.status}"><td><code>${esc(n.id.slice(0, 12))}</code></td><td>${esc(n.name ?? '-')}</td><td>${esc(n.status)}</td><td>${esc(n.backend ?? '-')}</td>` +
        `<td>${n.roundsContributed}/${n.roundsSelected}</td><td>${when(n.firstSeen)}</td><td>${when(n.lastSeen)}</td></tr>`,
    )
    .join('\n');
}

function roundRows(rounds: readonly RoundSummary[]): string {
  return [...rounds]
    .reverse()
    .map(
      (r) =>
        `<tr class="${r.status}"><td>${r.round}</td><td>${esc(r.status)}${r.abortReason ? `: ${esc(r.abortReason)}` : ''}</td><td>${r.survivors}/${r.selected}</td>` +
        `<td>${r.droppedDetail.map((d) => esc(`${d.stage} ${d.reason}`)).join('<br>') || '-'}</td><td>${num(r.trainLoss)}</td><td>${num(r.evalLoss)}</td>` +
        `<td>${num(r.evalAccuracy, 3)}</td><td>${num(r.epsilon, 3)}</td><td>${num(r.uploadBytesPerClient, 0)}</td><td>${r.durationMs}</td></tr>`,
    )
    .join('\n');
}

/** The parts of the page the script refreshes: the state line and banner; the node and round tables. */
export function renderFragment(s: DashboardStatus, nodes: { total: number; nodes: readonly NodeStatus[] }): string {
  const last = s.rounds.at(-1);
  const eps = [...s.rounds].reverse().find((r) => r.epsilon !== null);
  return `<div id="live-head">
<p id="state"><span class="k">state</span> ${esc(s.engine)} &middot; <span class="k">nodes connected</span> ${s.nodes} &middot; <span class="k">round</span> ${last?.round ?? 0}/${s.config.rounds}
 &middot; <span class="k">strategy</span> ${esc(s.config.strategy)} &middot; <span class="k">secure aggregation</span> ${s.config.secagg ? 'on' : 'off'}
 &middot; <span class="k">DP</span> ${esc(s.config.dp)}${eps?.epsilon != null ? ` (epsilon ${eps.epsilon.toFixed(3)}, delta ${eps.delta})` : ''}</p>
<p><span class="k">model</span> <code>${esc(s.modelVersion ?? 'none yet')}</code></p>
${banner(s)}
</div>
<div id="live-tables">
<h2>Nodes <span class="k">(${nodes.total})</span></h2>
<table id="nodes"><thead><tr><th>id</th><th>name</th><th>status</th><th>backend</th><th>rounds counted/selected</th><th>first seen (UTC)</th><th>last seen (UTC)</th></tr></thead>
<tbody>
${nodeRows(nodes.nodes) || '<tr><td colspan="7">no node has joined yet</td></tr>'}
</tbody></table>
<h2>Rounds</h2>
<table id="rounds"><thead><tr><th>round</th><th>status</th><th>survivors</th><th>dropped at</th><th>train loss</th><th>eval loss</th><th>accuracy</th><th>epsilon</th><th>upload B/node</th><th>ms</th></tr></thead>
<tbody>
${roundRows(s.rounds) || '<tr><td colspan="10">no rounds yet</td></tr>'}
</tbody></table>
</div>`;
}

/** The whole page. */
export function renderDashboard(s: DashboardStatus, nodes: { total: number; nodes: readonly NodeStatus[] }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>fedtune coordinator</title>
<link rel="stylesheet" href="/assets/uplot.css"><link rel="stylesheet" href="/assets/dashboard.css">
</head><body>
<h1>fedtune coordinator</h1>
<div id="live">
${renderFragment(s, nodes).replace('<div id="live-tables">', '<div id="charts"><noscript>The charts need JavaScript; the tables below hold the same figures.</noscript></div>\n<div id="live-tables">')}
</div>
<p class="k">JSON: <a href="/api/status">/api/status</a> &middot; <a href="/api/nodes/known">/api/nodes/known</a> &middot; <a href="/api/models">/api/models</a> &middot; metrics: <a href="/metrics">/metrics</a></p>
<script src="/assets/uplot.js"></script><script src="/assets/dashboard.js"></script>
</body></html>
`;
}

const require = createRequire(import.meta.url);
/** The package's assets folder: `src/` and `dist/` both sit beside it. */
const ASSETS = new URL('../assets/', import.meta.url);

const ASSET_FILES: Record<string, { file: () => string; type: string }> = {
  'uplot.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: () => fileURLToPath(new URL('dashboard.js', ASSETS)), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: () => fileURLToPath(new URL('dashboard.css', ASSETS)), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, { body: Uint8Array; type: string }>();

/** A static asset by name (read once), or null for any other name. */
export function dashboardAsset(name: string): { body: Uint8Array; type: string } | null {
  if (!Object.hasOwn(ASSET_FILES, name)) return null;
  let hit = cache.get(name);
  if (hit === undefined) {
    const spec = ASSET_FILES[name]!;
    hit = { body: readFileSync(spec.file()), type: spec.type };
    cache.set(name, hit);
  }
  return hit;
}
