// The dashboard page (GET /): the run's state and every round's figures as a self-refreshing HTML
// table (the same state is JSON at /api/status, http/routes.ts). Everything shown is escaped; nothing a node sends
// (names, metric keys) is rendered unescaped.
import type { RoundSummary } from './round/round-summary.js';

export interface DashboardState {
  nodes: number;
  modelVersion: string | null;
  config: { rounds: number; strategy: string; secagg: boolean; dp: string };
  rounds: readonly RoundSummary[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number | null, digits = 4) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

export function renderDashboard(s: DashboardState): string {
  const rows = [...s.rounds]
    .reverse()
    .map(
      (r) =>
        `<tr class="${r.status}"><td>${r.round}</td><td>${esc(r.status)}${r.abortReason ? `: ${esc(r.abortReason)}` : ''}</td><td>${r.survivors}/${r.selected}</td>` +
        `<td>${r.droppedDetail.map((d) => esc(`${d.stage} ${d.reason}`)).join('<br>') || '-'}</td><td>${num(r.trainLoss)}</td><td>${num(r.evalLoss)}</td>` +
        `<td>${num(r.evalAccuracy, 3)}</td><td>${num(r.epsilon, 3)}</td><td>${num(r.uploadBytesPerClient, 0)}</td><td>${r.durationMs}</td></tr>`,
    )
    .join('\n');
  const last = s.rounds.at(-1);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>fedtune coordinator</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1b1b1b}h1{font-size:1.3rem}
table{border-collapse:collapse;margin-top:1rem}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th{background:#f3f3f3}tr.aborted{background:#fff1f0}.k{color:#666}code{font-size:12px}
</style></head><body>
<h1>fedtune coordinator</h1>
<p><span class="k">nodes connected</span> ${s.nodes} &middot; <span class="k">round</span> ${last?.round ?? 0}/${s.config.rounds}
 &middot; <span class="k">strategy</span> ${esc(s.config.strategy)} &middot; <span class="k">secure aggregation</span> ${s.config.secagg ? 'on' : 'off'}
 &middot; <span class="k">DP</span> ${esc(s.config.dp)}${last?.epsilon != null ? ` (epsilon ${last.epsilon.toFixed(3)}, delta ${last.delta})` : ''}</p>
<p><span class="k">model</span> <code>${esc(s.modelVersion ?? 'none yet')}</code></p>
<table><thead><tr><th>round</th><th>status</th><th>survivors</th><th>dropped at</th><th>train loss</th><th>eval loss</th><th>accuracy</th><th>epsilon</th><th>upload B/node</th><th>ms</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="10">no rounds yet</td></tr>'}
</tbody></table>
<p class="k">JSON: <a href="/api/status">/api/status</a> &middot; metrics: <a href="/metrics">/metrics</a></p>
</body></html>
`;
}
