import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import {
  isSluiceError,
  NotFoundError,
  RecordBlock,
  UnavailableError,
  type GroupId,
  type Envelope,
  type PartitionPositions,
  type PositionsStore,
  type PublishResult,
  type RecordsStore,
  type RecordRun,
} from '../contracts/index.ts';
import { ActivityLog } from './activity.ts';
import { compileFilter, filterRun } from '../filtering/index.ts';
import { resolveGroupId } from './group-id.ts';
import { InFlight } from './in-flight.ts';
import { linkSignals } from '../contracts/linked-signal.ts';
import { nextOffsets, replayWatermark, subscriptionPositions } from './positions.ts';
import { Session } from './session.ts';
import { SessionRegistry } from './session-registry.ts';
import { StreamStats } from './stream-stats.ts';
import { RetryDesk } from './retry-desk.ts';
import { DEFAULT_RETRY_POLICY, holdUntilDue, type RetryPolicy } from '../retry/index.ts';
import type {
  AckCommand,
  AssignmentEvent,
  DeliveredBatch,
  NackCommand,
  NackResult,
  OffsetsQuery,
  PublishCommand,
  ReceiveCommand,
  SubscribeCommand,
} from './types.ts';
import { requireGroup, requireTopic } from './validation.ts';

export interface SubscriptionHandle {
  sessionId: string;
  /** One event per partition newly assigned to this member; errors when the store fails or the gateway shuts down. */
  assignments: Observable<AssignmentEvent>;
  /** Leaves the group. Idempotent. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Most (topic, group version, partition) entries kept in the activity log. Default 10 000. */
  maxTrackedPartitions?: number;
  /** Checks a record before it is published (schema validation); see PublishCheck. */
  publishCheck?: PublishCheck;
  /** Retry and dead-letter topics, attempts and backoff (Nack); default DEFAULT_RETRY_POLICY. */
  retryPolicy?: RetryPolicy;
}

/**
 * Refuses a record before anything is written: throws InvalidArgumentError.
 * `field` prefixes the field names in its message ('' for Publish,
 * 'records[3].' for a batch), so a refusal names the record.
 */
export type PublishCheck = (envelope: Envelope, field: string) => void;

/** A live session, as operators see it. */
export interface SessionView {
  id: string;
  topic: string;
  group: GroupId;
  partitions: number[];
  openedAt: number;
}

/**
 * The gateway's use cases, independent of any transport or store: sessions,
 * assignments, positions, replay flags and acks.
 */
export class Gateway {
  readonly stats = new StreamStats();
  /** Records delivered and acks per partition, for metrics and the dashboard. */
  readonly activity: ActivityLog;
  private readonly sessions = new SessionRegistry();
  private readonly acks = new InFlight();
  private readonly stopping = new AbortController();
  private publishCheck: PublishCheck | undefined;
  /** Nack (retry and dead-letter copies) and the holding of retry topics' records; its counts feed metrics. */
  readonly retries: RetryDesk;

  constructor(
    private readonly records: RecordsStore,
    private readonly positions: PositionsStore,
    private readonly logger: Logger,
    options: GatewayOptions = {},
  ) {
    this.activity = new ActivityLog(options.maxTrackedPartitions ?? 10_000);
    this.publishCheck = options.publishCheck;
    this.retries = new RetryDesk(options.retryPolicy ?? DEFAULT_RETRY_POLICY, (envelope) => this.records.publish(envelope));
    // Every open stream listens for shutdown: thousands of listeners are expected.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Replaces the publish check (schemas reloaded); undefined: none. */
  usePublishCheck(check: PublishCheck | undefined): void {
    this.publishCheck = check;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The open sessions (Subscribe streams) of this gateway and the partitions each holds. */
  sessionViews(): SessionView[] {
    return this.sessions.all().map((s) => ({ id: s.id, topic: s.topic, group: s.group, partitions: s.partitions, openedAt: s.openedAt }));
  }

  /** Topic, group name and owner of a live session; undefined when there is none. */
  sessionAccess(sessionId: string): { topic: string; group: string; owner: string | undefined } | undefined {
    const session = this.sessions.find(sessionId);
    return session === undefined ? undefined : { topic: session.topic, group: session.group.name, owner: session.owner };
  }

  publish(command: PublishCommand): Promise<PublishResult> {
    this.ensureServing();
    requireTopic('topic', command.topic);
    const envelope = toEnvelope(command);
    this.publishCheck?.(envelope, '');
    return this.records.publish(envelope);
  }

  /**
   * Stores many records: every one is validated first (a bad one fails the
   * whole call, naming `records[i]`, and nothing is written); results come in
   * the same order. The records go to the store together, so a store that
   * groups concurrent writes (Kafka) sends them in as few requests as it can.
   */
  publishBatch(commands: readonly PublishCommand[]): Promise<PublishResult[]> {
    this.ensureServing();
    const envelopes = new Array<Envelope>(commands.length);
    // A batch's records mostly share a topic: it is checked when it changes.
    let validTopic: string | undefined;
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      if (command.topic !== validTopic) validTopic = requireTopic(`records[${i}].topic`, command.topic);
      const envelope = toEnvelope(command);
      this.publishCheck?.(envelope, `records[${i}].`);
      envelopes[i] = envelope;
    }
    if (this.records.publishBatch !== undefined) return this.records.publishBatch(envelopes);
    return Promise.all(envelopes.map((envelope) => this.records.publish(envelope)));
  }

  async subscribe(command: SubscribeCommand): Promise<SubscriptionHandle> {
    this.ensureServing();
    const topic = requireTopic('topic', command.topic);
    const group = resolveGroupId(requireGroup('group', command.group), command.groupVersion);
    // Refuse to start without the group's positions: starting from
    // auto_offset_reset instead would silently replay or skip records.
    await this.positionsOrUnavailable(() => subscriptionPositions(this.positions, topic, group), 'cannot start a subscription');
    // Shutdown may have begun during the read: joining now would leave a member behind.
    this.ensureServing();

    const subscription = this.records.subscribe({
      topic,
      group: group.name,
      autoOffsetReset: command.autoOffsetReset,
      startOffsets: async (partitions) =>
        nextOffsets(
          await this.positionsOrUnavailable(() => subscriptionPositions(this.positions, topic, group), 'cannot position a partition'),
          partitions,
        ),
    });
    const filter = command.filter === undefined ? undefined : compileFilter(command.filter);
    const session = new Session(randomUUID(), topic, group, subscription, command.owner, filter);
    this.sessions.add(session);
    this.logger.debug({ sessionId: session.id, topic, group }, 'subscribed');

    const assignments = new Observable<AssignmentEvent>((subscriber) => {
      const onStop = () => subscriber.error(new UnavailableError('gateway is shutting down; subscribe again'));
      this.stopping.signal.addEventListener('abort', onStop, { once: true });
      const inner = subscription.assignments.subscribe({
        next: (sources) => {
          for (const source of session.assign(sources)) subscriber.next({ sessionId: session.id, partition: source.partition });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      if (this.stopping.signal.aborted) onStop();
      return () => {
        this.stopping.signal.removeEventListener('abort', onStop);
        inner.unsubscribe();
      };
    });

    let closed: Promise<void> | undefined;
    return {
      sessionId: session.id,
      assignments,
      close: () => {
        closed ??= (async () => {
          this.sessions.remove(session);
          await session.close();
          this.logger.debug({ sessionId: session.id }, 'subscription closed');
        })();
        return closed;
      },
    };
  }

  /**
   * The records of one assigned partition, in batches of what the store has
   * already available (never waiting to fill one): one await per batch, not
   * per record. Nothing is read from the store ahead of the caller's demand
   * beyond the store's own bounded read-ahead. Ends when the partition is
   * revoked, the subscription ends, or `signal` aborts; throws
   * UnavailableError when the gateway shuts down. `onEnded` is told when the
   * stream ends from this side (a newer Receive of the partition, the
   * subscription closed), so a caller waiting elsewhere (for 'drain') stops waiting.
   */
  async *receive(command: ReceiveCommand, signal: AbortSignal, onEnded?: () => void): AsyncGenerator<DeliveredBatch> {
    this.ensureServing();
    const session = this.sessions.get(command.sessionId);
    const source = session.source(command.partition);
    if (source === undefined) {
      throw new NotFoundError(
        `partition ${command.partition} is not assigned to session "${command.sessionId}" (assigned: ${session.partitions.join(', ') || 'none'})`,
      );
    }
    const reader = session.openReader(command.partition);
    const stop = linkSignals([signal, reader.signal, this.stopping.signal]);
    if (onEnded !== undefined) reader.signal.addEventListener('abort', onEnded, { once: true });
    const stream = this.stats.open(session, command.partition);
    try {
      const replayThrough = await this.positionsOrUnavailable(
        () => replayWatermark(this.positions, session.topic, session.group.name, command.partition),
        'cannot start receiving',
      );
      // A retry topic's records wait until due (a decorator decided once per stream: other topics pay nothing per record).
      const held = this.retries.holdsRecords(session.topic, session.group);
      // Blocks (no object per record) where the store makes them and nothing here needs objects: a
      // filter reads a block's rows as they are (block-filter.ts); holding reads records.
      const pulled: AsyncIterable<RecordRun> = held
        ? holdUntilDue(source.batches(stop.signal), stop.signal, this.retries.counts)
        : source.blocks !== undefined
          ? source.blocks(stop.signal)
          : source.batches(stop.signal);
      for await (const batch of pulled) {
        stream.pulled += batch.length;
        const fresh = skipKnown(batch, command.lastKnownOffset);
        if (fresh === undefined) continue;
        // Filtered: one marker covers every record skipped at the end of a
        // batch (the consumer acks it and the lag reaches 0) without a
        // message per skipped record.
        const { records, skippedThrough } =
          session.filter === undefined ? { records: fresh, skippedThrough: undefined } : filterRun(fresh, session.filter);
        if (records.length === 0 && skippedThrough === undefined) continue;
        stream.delivered += records.length;
        stream.inHand = true;
        yield skippedThrough === undefined ? { records, replayThrough } : { records, replayThrough, skippedThrough };
        stream.inHand = false;
      }
      if (this.stopping.signal.aborted) throw new UnavailableError('gateway is shutting down; receive again');
    } finally {
      stop.dispose();
      if (onEnded !== undefined) reader.signal.removeEventListener('abort', onEnded);
      this.activity.delivered(session.topic, session.group, command.partition, stream.delivered);
      this.stats.close(stream);
      session.closeReader(command.partition, reader);
    }
  }

  /** Stores a position; resolves only once the positions store holds it. */
  ack(command: AckCommand): Promise<void> {
    if (command.kind === 'session') {
      const session = this.sessions.get(command.sessionId);
      return this.store(session.topic, session.group, command.partition, command.offset);
    }
    const topic = requireTopic('topic', command.topic);
    const group = resolveGroupId(requireGroup('group', command.group), command.groupVersion);
    return this.store(topic, group, command.partition, command.offset);
  }

  /**
   * Hands a record back instead of acking it: writes a copy to the group's
   * retry topic (or dead-letter topic) and resolves once it is stored; the
   * caller then acks the record as usual.
   */
  nack(command: NackCommand): Promise<NackResult> {
    this.ensureServing();
    requireTopic('topic', command.topic);
    const group = resolveGroupId(requireGroup('group', command.group), command.groupVersion);
    return this.acks.track(this.retries.nack(command, group));
  }

  private store(topic: string, group: GroupId, partition: number, offset: bigint): Promise<void> {
    return this.acks.track(this.positions.update(topic, group, partition, offset).then(() => this.activity.acked(topic, group, partition, offset)));
  }

  getOffsets(query: OffsetsQuery): Promise<PartitionPositions> {
    const topic = requireTopic('topic', query.topic);
    const group = resolveGroupId(requireGroup('group', query.group), query.groupVersion);
    return this.positions.fetch(topic, group);
  }

  getEndOffsets(topic: string): Promise<ReadonlyMap<number, bigint>> {
    return this.records.getEndOffsets(requireTopic('topic', topic));
  }

  /** Refuses new work and ends open streams with UNAVAILABLE (retryable); acks keep being accepted. */
  beginShutdown(): void {
    this.stopping.abort();
  }

  /** Waits for pending acks, leaves every group, closes the stores. */
  async close(): Promise<void> {
    this.beginShutdown();
    await this.acks.settled();
    await Promise.allSettled(this.sessions.all().map((session) => session.close()));
    await Promise.allSettled([this.records.close(), this.positions.close()]);
  }

  private ensureServing(): void {
    if (this.stopping.signal.aborted) throw new UnavailableError('gateway is shutting down');
  }

  private async positionsOrUnavailable<T>(read: () => Promise<T>, what: string): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (isSluiceError(err) && err.code !== 'UNAVAILABLE') throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new UnavailableError(`positions store unavailable, ${what}: ${reason}`, err);
    }
  }
}

/** The records after `lastKnownOffset` (0n: none known); the batch itself when none is skipped, undefined when none is left. */
function skipKnown(batch: RecordRun, lastKnownOffset: bigint): RecordRun | undefined {
  if (lastKnownOffset === 0n) return batch;
  if (batch instanceof RecordBlock) return batch.after(lastKnownOffset);
  if (batch[0]!.offset > lastKnownOffset) return batch;
  return batch.filter((record) => record.offset > lastKnownOffset);
}

/**
 * The envelope a command is stored as: the command itself when it already is
 * one (no copy per record), else a copy without the value an event replaces.
 */
function toEnvelope(command: PublishCommand): Envelope {
  return command.event === null || command.value === null ? command : { ...command, value: null };
}
