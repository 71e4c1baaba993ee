// Under DP no training metric leaves a node (a local DP-SGD node's epsilon travels in its
// attestation instead); without DP everything does.
import { describe, expect, it } from 'vitest';
import { reportableMetrics } from './reportable-metrics.js';

describe('reportableMetrics', () => {
  const m = { trainLoss: 0.7, epsilon: 3.1, steps: 12 };
  it('passes everything without DP', () => {
    expect(reportableMetrics({}, m)).toEqual(m);
    expect(reportableMetrics({ dpMode: 'off' }, m)).toEqual(m);
  });
  it('any DP mode, or one it does not know: nothing, not even epsilon', () => {
    for (const dpMode of ['local-sgd', 'central', 'distributed', 'future-mode', 7, true]) expect(reportableMetrics({ dpMode }, m)).toEqual({});
  });
});
