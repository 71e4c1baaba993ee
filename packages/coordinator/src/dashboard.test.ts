import { describe, expect, it } from 'vitest';
import { renderDashboard } from './dashboard.js';
import type { RoundSummary } from './round/round-summary.js';

const round = (over: Partial<RoundSummary>): RoundSummary => ({
  round: 1,
  status: 'completed',
  abortReason: null,
  selected: 3,
  survivors: 2,
  dropped: 1,
  droppedDetail: [{ node: 'n1', reason: 'disconnected', stage: 'secagg:ShareKeys' }],
  trainLoss: 0.5,
  fitMetrics: {},
  evalLoss: 0.25,
  evalAccuracy: 0.75,
  evalMetrics: { accuracy: 0.75 },
  epsilon: 1.5,
  delta: 1e-5,
  uploadBytesPerClient: 1024,
  durationMs: 12,
  modelVersion: 'a'.repeat(64),
  secagg: null,
  ...over,
});

describe('dashboard', () => {
  const state = { nodes: 3, modelVersion: 'a'.repeat(64), config: { rounds: 5, strategy: 'dp-central(fedavg)', secagg: true, dp: 'central' }, rounds: [round({}), round({ round: 2, status: 'aborted', abortReason: '<script>alert(1)</script>' })] };

  it('shows the run and every round, newest first', () => {
    const html = renderDashboard(state);
    expect(html).toContain('nodes connected</span> 3');
    expect(html).toContain('round</span> 2/5');
    expect(html).toContain('secagg:ShareKeys disconnected');
    expect(html).toContain('epsilon 1.500');
    expect(html.indexOf('<td>2</td>')).toBeLessThan(html.indexOf('<td>1</td>'));
  });

  it('escapes everything it renders', () => {
    const html = renderDashboard(state);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
  });
});
