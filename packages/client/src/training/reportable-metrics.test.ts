// Under DP only accounting metrics leave a node; without DP everything does.
import { describe, expect, it } from 'vitest';
import { reportableMetrics } from './reportable-metrics.js';

describe('reportableMetrics', () => {
  const m = { trainLoss: 0.7, epsilon: 3.1, steps: 12 };
  it('passes everything without DP', () => {
    expect(reportableMetrics({}, m)).toEqual(m);
    expect(reportableMetrics({ dpMode: 'off' }, m)).toEqual(m);
  });
  it('local-sgd: only the epsilon of the node', () => {
    expect(reportableMetrics({ dpMode: 'local-sgd' }, m)).toEqual({ epsilon: 3.1 });
    expect(reportableMetrics({ dpMode: 'local-sgd' }, { trainLoss: 1 })).toEqual({});
  });
  it('central, distributed, or any mode it does not know: nothing', () => {
    for (const dpMode of ['central', 'distributed', 'future-mode', 7, true]) expect(reportableMetrics({ dpMode }, m)).toEqual({});
  });
});
