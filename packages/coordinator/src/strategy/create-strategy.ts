// Builds a strategy from its configured name.
import { FedAdaptive, type FedAdaptiveOptions } from './fed-adaptive.js';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import type { Strategy } from './strategy.js';

export const STRATEGY_NAMES = ['fedavg', 'fedavgm', 'fedadam', 'fedyogi', 'fedadagrad'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyOptions extends FedAdaptiveOptions {
  momentum?: number;
}

export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  switch (name) {
    case 'fedavg':
      return new FedAvg(options);
    case 'fedavgm':
      return new FedAvgM(options);
    case 'fedadam':
      return new FedAdaptive('adam', options);
    case 'fedyogi':
      return new FedAdaptive('yogi', options);
    case 'fedadagrad':
      return new FedAdaptive('adagrad', options);
  }
}
