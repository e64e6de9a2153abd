import { status, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';
import { filter, from, map, Subject, timer, type Observable, type Subscription as RxSubscription } from 'rxjs';
import { AckBatcher } from './acks.ts';
import { backoffDelay, DEFAULT_RECONNECT, type ResolvedReconnect } from './backoff.ts';
import { SluiceClientError } from './errors.ts';
import { PartitionStream, type EndReason, type PartitionHooks } from './partition-stream.ts';
import { resolveGroupId } from '../gateway/group-id.ts';
import { backoffDelay as retryDelay, readRetryHeaders, SLUICE_HEADER_PREFIX } from '../retry/index.ts';
import type {
  AckMode,
  AckReason,
  ConsumedRecord,
  NackOptions,
  NackResult,
  RecordFilter,
  RetryOptions,
  SubscribeOptions,
  SubscriptionEvent,
} from './types.ts';
import { decodeReceiveBatchReply, decodeReceiveReply } from './decoding.ts';
import { openDecodedStream, type AssignmentMessage, type LiiklusStub, type RecordFilterMessage, type SubscribeReplyMessage } from './wire.ts';

export const DEFAULT_ACK_EVERY = { records: 1000, ms: 5000 };
/**
 * The local buffer: 1,024 records or 8 MiB per partition, whichever comes
 * first; a ReceiveBatch message asks for half of each. It was 32 records
 * (16 per message): the gateway's stream then drained every 256 records
 * and a client read 1,000,000 records of 100 B at 158,000-179,000/s, against
 * 202,000-226,000/s with 2,048 (docs/benchmarks.md).
 */
const DEFAULT_BUFFER_SIZE = 1024;
const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;
/**
 * At-most-once acks ahead at most this many records past the one handed
 * over: what a crash can lose, whatever the buffer's size.
 */
const AT_MOST_ONCE_AHEAD = 32n;
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

export interface AckEvent {
  partition: number;
  offset: bigint;
  reason: AckReason;
}

/** How the subscription reaches the gateway (a SluiceClient provides it). */
export interface SubscriptionTransport {
  stub: LiiklusStub;
  ack(partition: number, offset: bigint): Promise<void>;
  /** Hands a record back (Nack; docs/retry.md). */
  nack(record: ConsumedRecord, options: NackOptions): Promise<NackResult>;
  /** The same connection, acking on another topic (the group's retry topic). */
  forTopic(topic: string): SubscriptionTransport;
  /** Which batched RPCs the gateway is believed to serve; set to false on UNIMPLEMENTED. */
  batched: { receive: boolean };
}

type State = 'running' | 'closing' | 'closed';

/**
 * One member of a consumer group. Iterate it (or its Observable) to get a
 * PartitionStream per assigned partition; iterate each of those for records.
 * See docs/client-and-cli.md for the ack rules.
 */
export class Subscription implements AsyncIterable<PartitionStream> {
  /** Assignments, revocations, acks, disconnects. */
  readonly events$: Observable<SubscriptionEvent>;
  /** Acks the gateway confirmed. */
  readonly acks$: Observable<AckEvent>;
  readonly topic: string;
  readonly group: string;
  readonly groupVersion: number;
  readonly ackMode: AckMode;

  private readonly events = new Subject<SubscriptionEvent>();
  private readonly batcher: AckBatcher;
  private readonly reconnect: ResolvedReconnect | false;
  private readonly bufferSize: number;
  private readonly bufferBytes: number;
  private readonly closeTimeoutMs: number;
  private readonly open = new Map<number, PartitionStream>();
  private readonly unsettled = new Set<PartitionStream>();
  private readonly ready: PartitionStream[] = [];
  /** At-most-once: the offset acked ahead of delivery, per stream. */
  private readonly ackedAhead = new WeakMap<PartitionStream, bigint>();
  private readonly hooks: PartitionHooks;
  private call: ClientReadableStream<SubscribeReplyMessage> | undefined;
  private state: State = 'running';
  private failure: SluiceClientError | undefined;
  private attempt = 0;
  private retry: RxSubscription | undefined;
  private closing: Promise<void> | undefined;
  private iterated = false;
  private wake: (() => void) | undefined;
  /** With `retry`: the member of the same group on its retry topic, whose streams this one hands out too. */
  private readonly companion: Subscription | undefined;
  private readonly retryOptions: RetryOptions | undefined;

  constructor(
    private readonly transport: SubscriptionTransport,
    private readonly options: SubscribeOptions,
    /** Set on a retry topic's companion: the subscription that hands out its streams. */
    private readonly parent?: Subscription,
  ) {
    this.topic = options.topic;
    this.group = options.group;
    this.groupVersion = options.groupVersion ?? 0;
    this.ackMode = options.ack ?? 'after';
    this.bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.reconnect = options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect };
    const every = { ...DEFAULT_ACK_EVERY, ...options.ackEvery };
    this.batcher = new AckBatcher((partition, offset) => transport.ack(partition, offset), every, this.events);
    this.events$ = this.events.asObservable();
    this.acks$ = this.events$.pipe(
      filter((e): e is Extract<SubscriptionEvent, { type: 'acked' }> => e.type === 'acked'),
      map(({ partition, offset, reason }) => ({ partition, offset, reason })),
    );
    this.hooks = {
      beforeHandover: (stream, record) => this.beforeHandover(stream, record),
      processed: (stream, record) => {
        // Finished after the partition moved away: the next owner may have
        // acked further already; an ack now could move its position back.
        if (stream.endedBy === 'revoked' || stream.endedBy === 'disconnected') return;
        if (this.ackMode === 'after') this.batcher.processed(stream.partition, record.offset);
      },
      wireEnded: (stream, reason) => this.onWireEnded(stream, reason),
      interrupted: (stream, error, attempt, retryInMs) =>
        this.events.next({ type: 'receive-interrupted', partition: stream.partition, sessionId: stream.sessionId, error, attempt, retryInMs }),
      settled: (stream) => {
        this.unsettled.delete(stream);
        // Revoked (or left): store what was processed now, not at the next tick.
        if (this.ackMode === 'after' && stream.endedBy !== 'closed') {
          void this.batcher.flush(stream.endedBy === 'abandoned' ? 'left' : 'revoke', [stream.partition]);
        }
      },
    };
    this.retryOptions = parent === undefined ? options.retry : undefined;
    if (this.retryOptions !== undefined) {
      // A retry copy carries its attempt in headers, which LiiklusEventRecord cannot (docs/retry.md).
      if (options.format === 'event') throw new Error("retry needs format 'binary': an event record (format 'event') has no headers to carry its attempt");
      const retryTopic = this.retryOptions.topic ?? `${this.topic}.${resolveGroupId(this.group, this.groupVersion).name}.retry`;
      const companion = new Subscription(transport.forTopic(retryTopic), { ...options, topic: retryTopic, retry: undefined }, this);
      companion.events$.subscribe({
        next: (event) => event.type !== 'closed' && this.events.next(event),
        complete: () => {
          // The retry topic's member failed (or ended): so does the subscription, as one.
          if (this.state !== 'running') return;
          this.failure ??= companion.failure;
          void this.close();
        },
      });
      this.companion = companion;
    }
    this.connect();
  }

  /** Partitions currently assigned (streams receiving). */
  get partitions(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  /** Offsets processed (or acked ahead) and not yet confirmed by the gateway. */
  get pendingAcks(): ReadonlyMap<number, bigint> {
    return this.batcher.pending;
  }

  [Symbol.asyncIterator](): AsyncIterator<PartitionStream> {
    if (this.iterated) throw new Error('a subscription can be iterated only once');
    this.iterated = true;
    return {
      next: async () => {
        for (;;) {
          const stream = this.ready.shift();
          if (stream !== undefined) return { value: stream, done: false };
          if (this.state !== 'running') {
            if (this.closing !== undefined) await this.closing;
            const failure = this.failure;
            this.failure = undefined;
            if (failure !== undefined) throw failure;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** The partition streams as an Observable (use either this or the async iterator). */
  asObservable(): Observable<PartitionStream> {
    return from(this);
  }

  /**
   * Runs `handler` for every record, partitions concurrently, each partition in
   * order. Resolves when the subscription is closed; if a handler throws, the
   * subscription is closed (processed records acked) and the error rethrown.
   */
  async each(handler: (record: ConsumedRecord, stream: PartitionStream) => unknown): Promise<void> {
    let failure: { error: unknown } | undefined;
    const loops: Promise<void>[] = [];
    try {
      for await (const stream of this) {
        loops.push(
          (async () => {
            for await (const record of stream) {
              if (this.retryOptions === undefined) {
                // A synchronous handler costs no await per record.
                const result = handler(record, stream);
                if (isThenable(result)) await result;
                continue;
              }
              annotate(record);
              try {
                await handler(record, stream);
              } catch (error) {
                // Handed back (stored in the retry or dead-letter topic) before the loop acks past it.
                await this.handBack(record, error);
              }
            }
          })().catch((error: unknown) => {
            failure ??= { error };
            void this.close();
          }),
        );
      }
    } finally {
      await Promise.all(loops);
    }
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Hands `record` back after its handler failed: to the retry topic, or the
   * dead-letter topic once its attempts are used up (or when
   * `retry.deadLetterIf` says so). Throws when the gateway could not store
   * the copy: the record is then not acked (each() ends with that error).
   */
  async handBack(record: ConsumedRecord, error: unknown): Promise<NackResult> {
    const retry = this.retryOptions ?? this.parent?.retryOptions ?? {};
    const reason = (error instanceof Error ? error.message || error.name : String(error)).slice(0, 1000) || 'handler failed';
    const attempt = record.attempt ?? annotate(record).attempt!;
    const backoff = retry.backoff;
    // Malformed sluice-* headers (not written by a gateway) would be refused: hand the record back without them, as attempt 1.
    const sent = hasValidRetryHeaders(record) ? record : { ...record, headers: withoutSluiceHeaders(record.headers) };
    const result = await this.transport.nack(sent, {
      group: this.group,
      groupVersion: this.groupVersion,
      reason,
      deadLetter: retry.deadLetterIf?.(error) ?? false,
      delayMs: backoff === undefined ? 0 : retryDelay({ maxMs: Number.MAX_SAFE_INTEGER, factor: 2, ...backoff }, attempt),
      maxAttempts: retry.maxAttempts ?? 0,
    });
    this.events.next({ type: 'nacked', topic: record.topic, partition: record.partition, offset: record.offset, reason, result });
    return result;
  }

  /**
   * Ends every partition stream, waits (up to closeTimeoutMs) for records being
   * processed, stores the last processed offsets, then leaves the group. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const companionClosed = this.companion?.close();
    this.retry?.unsubscribe();
    this.wakeIterator();
    const openAtClose = [...this.open.values()];
    for (const stream of openAtClose) stream.stop('closed');
    await this.idleOrTimeout([...this.unsettled]);
    for (const stream of openAtClose) this.giveBackAckedAhead(stream);
    await this.batcher.flush('close');
    this.batcher.stop();
    this.call?.cancel();
    this.call = undefined;
    await companionClosed;
    this.state = 'closed';
    this.events.next({ type: 'closed' });
    this.events.complete();
    this.wakeIterator();
  }

  private async idleOrTimeout(streams: PartitionStream[]): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(streams.map((s) => s.whenIdle())),
      new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.closeTimeoutMs))),
    ]);
    clearTimeout(timeout);
  }

  private connect(): void {
    const request = {
      topic: this.topic,
      group: this.group,
      groupVersion: this.groupVersion,
      autoOffsetReset: this.options.from === 'latest' ? ('LATEST' as const) : ('EARLIEST' as const),
      ...(this.options.filter ? { filter: toFilterMessage(this.options.filter) } : {}),
    };
    const call = this.transport.stub.Subscribe(request);
    this.call = call;
    call.on('data', (reply: SubscribeReplyMessage) => {
      if (reply.assignment) this.onAssignment(reply.assignment);
    });
    call.on('error', () => undefined); // reported through 'status'
    call.on('status', (s: StatusObject) => this.onSubscribeStatus(call, s));
  }

  private onAssignment(assignment: AssignmentMessage): void {
    if (this.state !== 'running') return;
    this.attempt = 0;
    this.open.get(assignment.partition)?.stop('revoked');
    const format = this.options.format === 'event' ? ('LIIKLUS_EVENT' as const) : ('BINARY' as const);
    const { stub, batched } = this.transport;
    const stream = new PartitionStream({
      open: (lastKnownOffset, useBatch, maxRecords, maxBytes) => {
        const request = { assignment, format, lastKnownOffset: lastKnownOffset.toString() };
        return useBatch
          ? openDecodedStream(stub, 'ReceiveBatch', { request, maxRecords, maxBytes }, (m) => decodeReceiveBatchReply(m, this.topic, assignment.partition))
          : openDecodedStream(stub, 'Receive', request, (m) => decodeReceiveReply(m, this.topic, assignment.partition));
      },
      batched: batched.receive,
      onUnimplemented: () => (batched.receive = false),
      reconnect: this.reconnect,
      topic: this.topic,
      partition: assignment.partition,
      sessionId: assignment.sessionId,
      bufferSize: this.bufferSize,
      bufferBytes: this.bufferBytes,
      hooks: this.hooks,
    });
    this.open.set(assignment.partition, stream);
    this.unsettled.add(stream);
    // A retry topic's streams are handed out by the subscription they belong to.
    const home = this.parent ?? this;
    home.ready.push(stream);
    this.events.next({ type: 'assigned', partition: assignment.partition, sessionId: assignment.sessionId });
    home.wakeIterator();
  }

  private onSubscribeStatus(call: ClientReadableStream<SubscribeReplyMessage>, s: StatusObject): void {
    if (call !== this.call || this.state !== 'running') return;
    this.call = undefined;
    // No longer a member: what it held is being given to others.
    for (const stream of this.open.values()) stream.stop('disconnected');
    const error = new SluiceClientError(s.code, s.details, 'Subscribe');
    if (s.code === status.UNAVAILABLE && this.reconnect !== false && this.attempt < this.reconnect.maxAttempts) {
      const retryInMs = backoffDelay(this.attempt, this.reconnect);
      this.attempt++;
      this.events.next({ type: 'disconnected', error, attempt: this.attempt, retryInMs });
      this.retry = timer(retryInMs).subscribe(() => void this.resubscribe());
      return;
    }
    if (s.code !== status.OK) this.failure = error;
    void this.close();
  }

  private async resubscribe(): Promise<void> {
    // Store what was processed before the partitions are handed out again.
    await this.batcher.flush('reconnect');
    if (this.state === 'running') this.connect();
  }

  /** Undefined when there is nothing to wait for (at-least-once, or already acked ahead): no await per record. */
  private beforeHandover(stream: PartitionStream, record: Pick<ConsumedRecord, 'offset'>): Promise<void> | undefined {
    if (this.ackMode !== 'before') return undefined;
    const ahead = this.ackedAhead.get(stream);
    if (ahead !== undefined && record.offset <= ahead) return undefined;
    // At-most-once: the position must be stored before the record is handed
    // over. Ack what is already here in one go, so a round trip covers up to
    // bufferSize records rather than one.
    const buffered = stream.highestBuffered;
    const limit = record.offset + AT_MOST_ONCE_AHEAD - 1n;
    const upTo = buffered !== undefined && buffered > record.offset ? (buffered < limit ? buffered : limit) : record.offset;
    return this.batcher.ackNow(stream.partition, upTo, 'before').then(() => void this.ackedAhead.set(stream, upTo));
  }

  /**
   * At-most-once: records acked ahead but never handed over go back to the
   * group, by storing the last record handed over instead (the last ack wins).
   * Only while this member still holds the partition (the consumer left the
   * loop, or close() before Subscribe is cancelled): after a revocation the
   * next owner may already have read the position.
   */
  private giveBackAckedAhead(stream: PartitionStream): void {
    if (this.ackMode !== 'before') return;
    const ahead = this.ackedAhead.get(stream);
    const delivered = stream.lastDelivered;
    if (delivered !== undefined && ahead !== undefined && ahead > delivered) {
      this.batcher.want(stream.partition, delivered);
      this.ackedAhead.set(stream, delivered);
    }
  }

  private onWireEnded(stream: PartitionStream, reason: EndReason): void {
    if (this.open.get(stream.partition) === stream) this.open.delete(stream.partition);
    if (reason === 'abandoned' && this.state === 'running') {
      this.giveBackAckedAhead(stream);
      if (this.ackMode === 'before') void this.batcher.flush('left', [stream.partition]);
    }
    if (reason === 'revoked' || reason === 'disconnected') {
      this.events.next({ type: 'revoked', partition: stream.partition, sessionId: stream.sessionId });
      if (this.ackMode === 'after') {
        // One try: an ack that failed is not sent again once the partition is
        // someone else's (it could move their position back); its records
        // are delivered again instead (at least once).
        const partition = stream.partition;
        void this.batcher.flush('revoke', [partition]).then(() => {
          if (!this.open.has(partition)) this.batcher.drop(partition);
        });
      }
    }
    // A stream nobody took yet, that has nothing left to hand over, is dropped.
    const home = this.parent ?? this;
    const waiting = home.ready.indexOf(stream);
    if (waiting >= 0 && stream.buffered === 0 && reason !== 'failed') {
      home.ready.splice(waiting, 1);
      this.unsettled.delete(stream);
    }
  }

  private wakeIterator(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function toFilterMessage(filter: RecordFilter): RecordFilterMessage {
  const bytes = (value: string | Uint8Array) => (typeof value === 'string' ? Buffer.from(value) : value);
  return {
    eventType: filter.eventType ?? '',
    eventTypePrefix: filter.eventTypePrefix ?? '',
    headers: Object.fromEntries(Object.entries(filter.headers ?? {}).map(([name, value]) => [name, bytes(value)])),
    keyPrefix: filter.keyPrefix === undefined ? Buffer.alloc(0) : bytes(filter.keyPrefix),
  };
}

/**
 * Sets `attempt` and `origin` from the record's sluice-* headers (a retry
 * copy), else 1 and its own coordinates. Malformed headers count as none.
 */
function annotate(record: ConsumedRecord): ConsumedRecord {
  let retry;
  try {
    retry = readRetryHeaders((name) => record.headers[name]);
  } catch {
    retry = undefined;
  }
  record.attempt = retry?.attempt ?? 1;
  record.origin = retry?.origin ?? { topic: record.topic, partition: record.partition, offset: record.offset };
  return record;
}

function hasValidRetryHeaders(record: ConsumedRecord): boolean {
  try {
    readRetryHeaders((name) => record.headers[name]);
    return true;
  } catch {
    return false;
  }
}

function withoutSluiceHeaders(headers: Record<string, Buffer>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(SLUICE_HEADER_PREFIX)));
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
