import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Gateway } from '../gateway/index.ts';

/**
 * Prometheus metrics of one gateway: calls by method and status, records
 * delivered, time spent waiting on slow clients, and open sessions / streams
 * read from the core when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly calls: Counter<'method' | 'code'>;
  readonly callSeconds: Histogram<'method'>;
  readonly recordsSent: Counter;
  readonly backpressureWaits: Counter;
  /** Calls refused by the access guard, by reason (never by token or principal). */
  readonly denials: Counter<'reason'>;

  constructor(gateway: Gateway) {
    collectDefaultMetrics({ register: this.registry });
    this.calls = new Counter({
      name: 'sluice_grpc_calls_total',
      help: 'Finished gRPC calls by method and status code',
      labelNames: ['method', 'code'],
      registers: [this.registry],
    });
    this.callSeconds = new Histogram({
      name: 'sluice_grpc_unary_seconds',
      help: 'Duration of unary calls',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.recordsSent = new Counter({ name: 'sluice_records_sent_total', help: 'Records written to Receive streams', registers: [this.registry] });
    this.backpressureWaits = new Counter({
      name: 'sluice_backpressure_waits_total',
      help: "Times a Receive stream waited for a slow client's 'drain'",
      registers: [this.registry],
    });
    this.denials = new Counter({
      name: 'sluice_auth_denials_total',
      help: 'Calls refused by authentication, authorization, limits or the internal-topic rule, by reason',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'sluice_sessions',
      help: 'Open Subscribe streams (group members)',
      registers: [this.registry],
      collect() {
        this.set(gateway.sessionCount);
      },
    });
    new Gauge({
      name: 'sluice_receive_streams',
      help: 'Open Receive streams',
      registers: [this.registry],
      collect() {
        this.set(gateway.stats.streams().length);
      },
    });
  }
}
