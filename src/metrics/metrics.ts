import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GroupId } from '../contracts/index.ts';
import type { Gateway } from '../gateway/index.ts';
import type { HealthMonitor } from '../health/monitor.ts';
import { keyOf } from '../gateway/activity.ts';
import type { LagReader } from './lag.ts';
import { RecentErrors } from './recent-errors.ts';

export interface MetricsSources {
  lag: LagReader;
  health: HealthMonitor;
  build: { version: string; recordsStore: string; positionsStore: string };
  /** Most label sets exported per metric; the rest are counted in sluice_metrics_series_dropped. */
  maxSeries: number;
}

type PartitionLabels = 'topic' | 'group' | 'version' | 'partition';
const PARTITION_LABELS: PartitionLabels[] = ['topic', 'group', 'version', 'partition'];

/**
 * Prometheus metrics of one gateway. Counters on the call path (calls by
 * method and status, backpressure waits) are incremented there; everything
 * else is read when scraped: sessions and streams from the core, store health
 * from the health monitor, positions, end offsets and lag from a short-lived
 * LagReader snapshot (never a store round trip per partition per scrape).
 * Every per-partition metric is capped at `maxSeries` label sets.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly calls: Counter<'method' | 'code'>;
  readonly callSeconds: Histogram<'method'>;
  readonly backpressureWaits: Counter;
  /** The last failed calls (any status but OK and CANCELLED), for the dashboard. */
  readonly recentErrors = new RecentErrors(50);
  /** metric name -> label sets left out at the last collect. */
  private readonly dropped = new Map<string, number>();
  private readonly maxSeries: number;
  /** Calls refused by the access guard, by reason (never by token or principal). */
  readonly denials: Counter<'reason'>;

  constructor(gateway: Gateway, sources?: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.calls = new Counter({
      name: 'sluice_grpc_calls_total',
      help: 'Finished gRPC calls by method and status code (Publish and Ack counts and errors among them)',
      labelNames: ['method', 'code'],
      registers,
    });
    this.callSeconds = new Histogram({
      name: 'sluice_grpc_unary_seconds',
      help: 'Duration of unary calls',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.backpressureWaits = new Counter({
      name: 'sluice_backpressure_waits_total',
      help: "Times a Receive stream waited for a slow client's 'drain'",
      registers,
    });
    new Counter({
      name: 'sluice_records_sent_total',
      help: 'Records written to Receive streams',
      registers,
      collect() {
        this.reset();
        this.inc(gateway.stats.deliveredTotal);
      },
    });
    new Counter({
      name: 'sluice_retry_records_total',
      help: 'Nack and retry topics (docs/retry.md): copies written to retry topics (retried) and dead-letter topics (dead_lettered); records of retry topics held back until due (held) and released once due (released)',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        const counts = gateway.retries.counts;
        this.inc({ outcome: 'retried' }, counts.retried);
        this.inc({ outcome: 'dead_lettered' }, counts.deadLettered);
        this.inc({ outcome: 'held' }, counts.held);
        this.inc({ outcome: 'released' }, counts.released);
      },
    });
    this.maxSeries = sources?.maxSeries ?? 2_000;
    const capped = this.capped;

    this.denials = new Counter({
      name: 'sluice_auth_denials_total',
      help: 'Calls refused by authentication, authorization, limits or the internal-topic rule, by reason',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'sluice_sessions',
      help: 'Open Subscribe streams (group members) on this gateway, by topic and group',
      labelNames: ['topic', 'group', 'version'],
      registers,
      collect() {
        capped(this, countBy(gateway.sessionViews(), (s) => groupLabels(s.topic, s.group)));
      },
    });
    new Gauge({
      name: 'sluice_receive_streams',
      help: 'Open Receive streams on this gateway, by topic and group',
      labelNames: ['topic', 'group', 'version'],
      registers,
      collect() {
        capped(this, countBy(gateway.stats.streams(), (s) => groupLabels(s.topic, s.group)));
      },
    });
    new Gauge({
      name: 'sluice_receive_streams_blocked',
      help: 'Receive streams waiting on a client that does not read (backpressure), by topic and group',
      labelNames: ['topic', 'group', 'version'],
      registers,
      collect() {
        gateway.stats.sample();
        capped(this, countBy(gateway.stats.streams().filter((s) => s.blockedSince !== undefined), (s) => groupLabels(s.topic, s.group)));
      },
    });
    new Counter({
      name: 'sluice_records_delivered_total',
      help: 'Records delivered by this gateway per partition (rate() gives records/s)',
      labelNames: PARTITION_LABELS,
      registers,
      collect() {
        const totals = new Map<string, { labels: Record<PartitionLabels, string>; value: number }>();
        const add = (topic: string, group: GroupId, partition: number, value: number) => {
          const key = keyOf(topic, group, partition);
          const entry = totals.get(key);
          if (entry) entry.value += value;
          else totals.set(key, { labels: partitionLabels(topic, group, partition), value });
        };
        for (const a of gateway.activity.all()) add(a.topic, a.group, a.partition, a.delivered);
        for (const s of gateway.stats.streams()) add(s.topic, s.group, s.partition, s.delivered);
        capped(this, [...totals.values()].map(({ labels, value }) => [labels, value]));
      },
    });
    new Gauge({
      name: 'sluice_partition_last_ack_age_seconds',
      help: 'Seconds since the last ack through this gateway, per partition',
      labelNames: PARTITION_LABELS,
      registers,
      collect() {
        const now = Date.now();
        const acked = gateway.activity.all().filter((a) => a.lastAckAt !== undefined);
        capped(this, acked.map((a) => [partitionLabels(a.topic, a.group, a.partition), (now - a.lastAckAt!) / 1000]));
      },
    });

    if (sources !== undefined) this.registerStoreMetrics(sources);
    this.registerDropped(sources?.lag);
  }

  /** Build info, health, and positions / end offsets / lag from the LagReader. */
  private registerStoreMetrics(sources: MetricsSources): void {
    const registers = [this.registry];
    const capped = this.capped;
    const { lag, health, build } = sources;
    new Gauge({
      name: 'sluice_build_info',
      help: 'Always 1: the version of Sluice, of Node.js, and the stores in use',
      labelNames: ['version', 'node_version', 'records_store', 'positions_store'],
      registers,
    }).set({ version: build.version, node_version: process.versions.node, records_store: build.recordsStore, positions_store: build.positionsStore }, 1);
    new Gauge({
      name: 'sluice_ready',
      help: '1 while both stores are reachable and the gateway is not shutting down (as /readyz)',
      registers,
      collect() {
        this.set(health.state.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sluice_store_up',
      help: '1 when the last reachability probe of the store succeeded',
      labelNames: ['store'],
      registers,
      collect() {
        for (const store of ['records', 'positions'] as const) this.set({ store }, health.state[store].up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sluice_store_probe_seconds',
      help: 'Duration of the last reachability probe of the store (until answer, failure or timeout)',
      labelNames: ['store'],
      registers,
      collect() {
        for (const store of ['records', 'positions'] as const) this.set({ store }, health.state[store].latencyMs / 1000);
      },
    });
    new Gauge({
      name: 'sluice_partition_position',
      help: 'Last acked offset per group version and partition (positions store, shared by all gateways)',
      labelNames: PARTITION_LABELS,
      registers,
      async collect() {
        const snapshot = await lag.read();
        capped(
          this,
          snapshot.partitions.filter((p) => p.position !== undefined).map((p) => [partitionLabels(p.topic, p.group, p.partition), Number(p.position)]),
        );
      },
    });
    new Gauge({
      name: 'sluice_partition_end_offset',
      help: 'Offset of the last record written per partition (records store)',
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        const snapshot = await lag.read();
        const ends = new Map<string, [Record<'topic' | 'partition', string>, number]>();
        for (const p of snapshot.partitions) {
          if (p.end !== undefined) ends.set(`${p.topic}\u0000${p.partition}`, [{ topic: p.topic, partition: String(p.partition) }, Number(p.end)]);
        }
        capped(this, ends.values());
      },
    });
    new Gauge({
      name: 'sluice_partition_lag',
      help: 'Records written and not acked (end offset − acked position) per group version and partition',
      labelNames: PARTITION_LABELS,
      registers,
      async collect() {
        const snapshot = await lag.read();
        // Rows the LagReader itself left out (past the same cap) count as dropped too.
        capped(this, snapshot.partitions.map((p) => [partitionLabels(p.topic, p.group, p.partition), Number(p.lag)]), snapshot.dropped);
      },
    });
    new Gauge({
      name: 'sluice_lag_snapshot_age_seconds',
      help: 'Age of the positions / end offsets snapshot behind the lag metrics (METRICS_CACHE_TTL_MS)',
      registers,
      async collect() {
        this.set((Date.now() - (await lag.read()).readAt) / 1000);
      },
    });
    new Gauge({
      name: 'sluice_lag_read_errors',
      help: 'Topics (or the positions scan) that could not be read at the last snapshot',
      registers,
      async collect() {
        this.set((await lag.read()).errors.length);
      },
    });
  }

  /** Sets a metric to `rows`, at most maxSeries of them; counts the rest (and `droppedBefore`) as dropped. */
  private readonly capped = <L extends string>(
    metric: Gauge<L> | Counter<L>,
    rows: Iterable<[Partial<Record<L, string | number>>, number]>,
    droppedBefore = 0,
  ): void => {
    metric.reset();
    let count = 0;
    let over = droppedBefore;
    for (const [labels, value] of rows) {
      if (count++ >= this.maxSeries) over++;
      else if (metric instanceof Gauge) metric.set(labels, value);
      else metric.inc(labels, value);
    }
    this.dropped.set((metric as unknown as { name: string }).name, over);
  };

  /**
   * Registered last: prom-client collects every metric at once, and this one
   * awaits the lag snapshot after the lag metrics did (promise reactions run
   * in order), so it reports this scrape's drops.
   */
  private registerDropped(lag: LagReader | undefined): void {
    const dropped = this.dropped;
    new Gauge({
      name: 'sluice_metrics_series_dropped',
      help: 'Label sets left out of a metric at this scrape because of METRICS_MAX_SERIES',
      labelNames: ['metric'],
      registers: [this.registry],
      async collect() {
        if (lag) await lag.read();
        this.reset();
        for (const [metric, count] of dropped) this.set({ metric }, count);
      },
    });
  }
}

function groupLabels(topic: string, group: GroupId): Record<'topic' | 'group' | 'version', string> {
  return { topic, group: group.name, version: String(group.version) };
}

function partitionLabels(topic: string, group: GroupId, partition: number): Record<PartitionLabels, string> {
  return { ...groupLabels(topic, group), partition: String(partition) };
}

function countBy<T, L extends string>(items: readonly T[], labelsOf: (item: T) => Record<L, string>): Array<[Record<L, string>, number]> {
  const counts = new Map<string, [Record<L, string>, number]>();
  for (const item of items) {
    const labels = labelsOf(item);
    const key = JSON.stringify(labels);
    const entry = counts.get(key);
    if (entry) entry[1]++;
    else counts.set(key, [labels, 1]);
  }
  return [...counts.values()];
}
