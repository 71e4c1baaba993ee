import { describe, expect, it } from 'vitest';
import { dashboardAsset, renderDashboard, renderFragment } from './dashboard.js';
import type { NodeStatus } from './http/routes.js';
import type { RoundSummary } from './round/round-summary.js';
import { summary } from '../test/store-conformance.js';

const round = (over: Partial<RoundSummary>): RoundSummary =>
  summary(over.round ?? 1, {
    selected: 3,
    dropped: 1,
    droppedDetail: [{ node: 'n1', reason: 'disconnected', stage: 'secagg:ShareKeys' }],
    trainLoss: 0.5,
    evalLoss: 0.25,
    evalAccuracy: 0.75,
    evalMetrics: { accuracy: 0.75 },
    epsilon: 1.5,
    delta: 1e-5,
    uploadBytesPerClient: 1024,
    durationMs: 12,
    modelVersion: 'a'.repeat(64),
    ...over,
  });

const node = (over: Partial<NodeStatus>): NodeStatus => ({
  id: 'ab'.repeat(16),
  name: 'clinic-a',
  backend: 'cpu',
  firstSeen: 0,
  lastSeen: 60_000,
  roundsSelected: 2,
  roundsContributed: 1,
  status: 'ready',
  address: '127.0.0.1',
  ...over,
});

describe('dashboard', () => {
  const config = { rounds: 5, minNodes: 3, strategy: 'dp-central(fedavg)', secagg: true, dp: 'central' };
  const state = {
    engine: 'running',
    nodes: 3,
    modelVersion: 'a'.repeat(64),
    config,
    waiting: null,
    outcome: null,
    rounds: [round({}), round({ round: 2, status: 'aborted', abortReason: '<script>alert(1)</script>' })],
  };
  const nodes = { total: 2, nodes: [node({}), node({ id: 'cd'.repeat(16), name: '<img src=x onerror=alert(1)>', status: 'offline' })] };

  it('shows the run, the nodes with their status, and every round, newest first', () => {
    const html = renderDashboard(state, nodes);
    expect(html).toContain('nodes connected</span> 3');
    expect(html).toContain('round</span> 2/5');
    expect(html).toContain('secagg:ShareKeys disconnected');
    expect(html).toContain('epsilon 1.500');
    expect(html).toMatch(/<tr class="offline"><td><code>cdcdcdcdcdcd<\/code>/);
    expect(html).toContain('<td>1/2</td>');
    expect(html.indexOf('<td>2</td>')).toBeLessThan(html.indexOf('<td>1</td>'));
    expect(html).toContain('<script src="/assets/uplot.js"></script>');
  });

  it('says how many more nodes it waits for, and how training ended', () => {
    expect(renderFragment({ ...state, rounds: [], waiting: { needed: 3, available: 1 } }, { total: 0, nodes: [] })).toContain('waiting for 2 more nodes (1 of 3 connected and ready)');
    const outcome = { status: 'incomplete' as const, reason: 'ran 5 rounds; 3 of 5 rounds completed', completedRounds: 3, rounds: 5, modelVersion: null };
    expect(renderFragment({ ...state, outcome }, nodes)).toContain('training finished: ran 5 rounds; 3 of 5 rounds completed');
  });

  it('escapes everything it renders', () => {
    const html = renderDashboard(state, nodes);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;');
  });

  it('serves its assets from the package (uPlot bundled, no CDN), nothing else', () => {
    expect(new TextDecoder().decode(dashboardAsset('uplot.js')!.body)).toContain('uPlot');
    expect(dashboardAsset('dashboard.js')!.type).toMatch(/javascript/);
    expect(dashboardAsset('dashboard.css')!.body.length).toBeGreaterThan(100);
    for (const bad of ['../package.json', 'uplot.js/', '', 'constructor', '__proto__']) expect(dashboardAsset(bad)).toBeNull();
  });
});
