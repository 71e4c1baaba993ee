// Prometheus metrics through prom-client (HELP and TYPE lines, valid number formats such as +Inf,
// histograms, the process metrics), one registry per coordinator so several can share a process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Counter({ name: 'fedtune_connections_total', help: 'Socket.io connections opened', registers: [this.registry] });
  readonly nodesConnected = new Gauge({ name: 'fedtune_nodes_connected', help: 'Authenticated nodes connected now', registers: [this.registry] });
  readonly refusals = new Counter({ name: 'fedtune_refusals_total', help: 'Messages and connections refused, by FT_ERR_* code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly authFailures = new Counter({ name: 'fedtune_auth_failures_total', help: 'Failed authentications (bad token, revoked token, bad resume or identity proof)', registers: [this.registry] });
  readonly connectionsRefused = new Counter({ name: 'fedtune_http_connections_refused_total', help: 'TCP connections closed by the connection cap or the request-header timeout', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly uploadBytes = new Counter({ name: 'fedtune_upload_bytes_total', help: 'Bytes of update frames received (plain and masked)', registers: [this.registry] });
  readonly rounds = new Counter({ name: 'fedtune_rounds_total', help: 'Rounds finished, by status', labelNames: ['status'] as const, registers: [this.registry] });
  readonly round = new Gauge({ name: 'fedtune_round', help: 'The last finished round', registers: [this.registry] });
  readonly roundDuration = new Histogram({
    name: 'fedtune_round_duration_seconds',
    help: 'Wall time of a round, selection to model saved',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly uploadBytesPerNode = new Histogram({
    name: 'fedtune_round_upload_bytes_per_node',
    help: 'Mean bytes a surviving node uploaded in a round',
    buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9],
    registers: [this.registry],
  });
  readonly evalLoss = new Gauge({ name: 'fedtune_eval_loss', help: 'Federated evaluation loss of the last evaluated round', registers: [this.registry] });
  readonly epsilon = new Gauge({ name: 'fedtune_privacy_epsilon', help: 'Privacy spent so far (epsilon at the configured delta)', registers: [this.registry] });
  readonly engineUp = new Gauge({ name: 'fedtune_engine_up', help: '1 while the round engine can run rounds, 0 once it failed', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
