import type { PositionsStore } from '../contracts/index.ts';
import type { Gateway } from '../gateway/index.ts';
import type { HealthMonitor, HealthState } from '../health/monitor.ts';
import type { LagReader } from '../metrics/lag.ts';
import type { RecentErrors, RecordedError } from '../metrics/recent-errors.ts';

/** What one gateway publishes about itself for the others' dashboards. */
export interface GatewayReport {
  id: string;
  version: string;
  at: number;
  ready: boolean;
  sessions: SessionState[];
}

export interface SessionState {
  gateway: string;
  id: string;
  topic: string;
  group: string;
  version: number;
  partitions: number[];
  openedAt: number;
  streams: Array<{ partition: number; delivered: number; pulled: number; blockedMs: number | null }>;
}

export interface PartitionState {
  partition: number;
  /** Offsets as decimal strings (uint64). */
  position: string | null;
  end: string | null;
  lag: string;
  /** Records delivered: by this gateway, plus other gateways' open streams (for the throughput sparkline). */
  delivered: number;
  lastAckAgoMs: number | null;
  /** The session holding the partition (any gateway reporting to the store), or null. */
  holder: { gateway: string; session: string } | null;
}

export interface DashboardState {
  gateway: { id: string; version: string; startedAt: number };
  at: number;
  health: HealthState;
  lag: { readAt: number; dropped: number; errors: string[] };
  groups: Array<{ topic: string; group: string; version: number; partitions: PartitionState[] }>;
  sessions: SessionState[];
  /** Gateways known through the positions store (this one included), or just this one. */
  gateways: Array<{ id: string; version: string; at: number; ready: boolean; sessions: number }>;
  /** Why other gateways are not shown, when they cannot be. */
  gatewaysNote: string | null;
  errors: RecordedError[];
}

/** Most sessions one gateway publishes to the store. */
const MAX_REPORTED_SESSIONS = 1_000;

/**
 * Builds the dashboard's view: groups and their lag (LagReader: every group
 * the positions store knows), this gateway's sessions and streams, and those
 * other gateways published to the positions store when it supports reports.
 */
export class DashboardView {
  readonly startedAt = Date.now();

  constructor(
    private readonly sources: {
      id: string;
      version: string;
      gateway: Gateway;
      positions: PositionsStore;
      lag: LagReader;
      health: HealthMonitor;
      errors: RecentErrors;
    },
  ) {}

  /** This gateway's report for the others. */
  report(): GatewayReport {
    const { id, version, health } = this.sources;
    return { id, version, at: Date.now(), ready: health.state.ready, sessions: this.localSessions().slice(0, MAX_REPORTED_SESSIONS) };
  }

  async build(): Promise<DashboardState> {
    const { id, version, gateway, positions, lag, health, errors } = this.sources;
    const snapshot = await lag.read();
    const reports = await this.otherReports();
    const local = this.report();
    const everyone = [local, ...reports.filter((r) => r.id !== id)];
    const sessions = everyone.flatMap((r) => r.sessions);

    const holders = new Map<string, { gateway: string; session: string }>();
    for (const s of sessions) for (const p of s.partitions) holders.set(`${s.topic}\u0000${s.group}\u0000${p}`, { gateway: s.gateway, session: s.id });
    // Other gateways' open streams, so that the throughput of a partition held elsewhere shows too.
    const remoteDelivered = new Map<string, number>();
    for (const r of reports.filter((r) => r.id !== id)) {
      for (const s of r.sessions) {
        for (const st of s.streams) {
          const k = `${s.topic}\u0000${s.group}\u0000${s.version}\u0000${st.partition}`;
          remoteDelivered.set(k, (remoteDelivered.get(k) ?? 0) + st.delivered);
        }
      }
    }
    const now = Date.now();
    const groups = new Map<string, DashboardState['groups'][number]>();
    for (const row of snapshot.partitions) {
      const key = `${row.topic}\u0000${row.group.name}\u0000${row.group.version}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { topic: row.topic, group: row.group.name, version: row.group.version, partitions: [] }));
      const activity = gateway.activity.get(row.topic, row.group, row.partition);
      const open = gateway.stats.streams().filter((s) => s.topic === row.topic && s.group.name === row.group.name && s.group.version === row.group.version && s.partition === row.partition);
      group.partitions.push({
        partition: row.partition,
        position: row.position?.toString() ?? null,
        end: row.end?.toString() ?? null,
        lag: row.lag.toString(),
        delivered: (activity?.delivered ?? 0) + open.reduce((sum, s) => sum + s.delivered, 0) + (remoteDelivered.get(key + `\u0000${row.partition}`) ?? 0),
        lastAckAgoMs: activity?.lastAckAt === undefined ? null : now - activity.lastAckAt,
        holder: holders.get(`${row.topic}\u0000${row.group.name}\u0000${row.partition}`) ?? null,
      });
    }
    return {
      gateway: { id, version, startedAt: this.startedAt },
      at: now,
      health: health.state,
      lag: { readAt: snapshot.readAt, dropped: snapshot.dropped, errors: snapshot.errors },
      groups: [...groups.values()],
      sessions,
      gateways: everyone.map((r) => ({ id: r.id, version: r.version, at: r.at, ready: r.ready, sessions: r.sessions.length })),
      gatewaysNote:
        positions.fetchGatewayReports === undefined
          ? 'this positions store keeps no gateway reports: only this gateway\u2019s sessions are shown'
          : null,
      errors: [...errors.all()].reverse(),
    };
  }

  private localSessions(): SessionState[] {
    const { id, gateway } = this.sources;
    gateway.stats.sample();
    const now = Date.now();
    const streams = gateway.stats.streams();
    return gateway.sessionViews().map((s) => ({
      gateway: id,
      id: s.id,
      topic: s.topic,
      group: s.group.name,
      version: s.group.version,
      partitions: s.partitions,
      openedAt: s.openedAt,
      streams: streams
        .filter((c) => c.sessionId === s.id)
        .map((c) => ({ partition: c.partition, delivered: c.delivered, pulled: c.pulled, blockedMs: c.blockedSince === undefined ? null : now - c.blockedSince })),
    }));
  }

  private async otherReports(): Promise<GatewayReport[]> {
    const { positions } = this.sources;
    if (positions.fetchGatewayReports === undefined) return [];
    try {
      const reports = await positions.fetchGatewayReports();
      return [...reports.values()].flatMap((text) => {
        try {
          return [JSON.parse(text) as GatewayReport];
        } catch {
          return [];
        }
      });
    } catch {
      // Store down: health shows it; the local view still works.
      return [];
    }
  }
}
