import { status, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';
import { from, type Observable } from 'rxjs';
import { backoffDelay, type ResolvedReconnect } from './backoff.ts';
import { SluiceClientError, toClientError } from './errors.ts';
import type { DecodedReply, SkipMark } from './decoding.ts';
import type { ConsumedRecord } from './types.ts';

/** Why a partition stream stopped receiving. */
export type EndReason = 'revoked' | 'disconnected' | 'closed' | 'abandoned' | 'failed';

/** What the subscription does around each record (the ack mode lives there). */
export interface PartitionHooks {
  /** Runs before `record` is handed over (undefined: nothing to wait for); a rejection ends the stream without handing it over. */
  beforeHandover(stream: PartitionStream, record: Pick<ConsumedRecord, 'offset'>): Promise<void> | undefined;
  /** The consumer finished `record`. */
  processed(stream: PartitionStream, record: Pick<ConsumedRecord, 'offset'>): void;
  /** The wire ended (revocation, disconnect, close, failure). */
  wireEnded(stream: PartitionStream, reason: EndReason): void;
  /** The consumer is done with the stream: it saw the end, or left the loop. */
  settled(stream: PartitionStream): void;
  /** The Receive call ended with UNAVAILABLE or CANCELLED and is opened again in `retryInMs`. */
  interrupted(stream: PartitionStream, error: SluiceClientError, attempt: number, retryInMs: number): void;
}

export interface PartitionStreamOptions {
  topic: string;
  partition: number;
  sessionId: string;
  bufferSize: number;
  /** Bytes of key, value and headers held locally before the wire pauses (and twice the ReceiveBatch max_bytes asked for). */
  bufferBytes: number;
  hooks: PartitionHooks;
  /**
   * Opens the partition's wire, skipping records up to `lastKnownOffset` (0:
   * none): ReceiveBatch (`batched`, up to `maxRecords` per message) or
   * Receive; either way each message arrives decoded (src/client/decoding.ts),
   * as the replies it carries. A batched wire the gateway does not serve (UNIMPLEMENTED, e.g.
   * Liiklus) is reopened as Receive, and `onUnimplemented` is told so that
   * later streams go straight to Receive.
   */
  open(lastKnownOffset: bigint, batched: boolean, maxRecords: number, maxBytes: number): ClientReadableStream<unknown>;
  batched: boolean;
  onUnimplemented?(): void;
  /** Re-open a Receive that ended with UNAVAILABLE or CANCELLED (the Subscribe is alive); false: end the stream. */
  reconnect: ResolvedReconnect | false;
}

/**
 * The records of one assigned partition, pulled one at a time. Reading from
 * the wire starts at once (a grpc-js stream never read from buffers without
 * bound on the client) and pauses while `bufferSize` records wait locally, so
 * HTTP/2 flow control holds the gateway back for this partition only.
 *
 * A record handed over is *held* until the consumer pulls the next one or
 * calls markDone(); only then is it processed. Leaving the loop (break, throw)
 * leaves the held record unprocessed.
 *
 * A Receive that ends with UNAVAILABLE or CANCELLED (a store outage as it
 * started, a dropped HTTP/2 stream) while the partition is still ours is
 * opened again with backoff, from the record after the last one received:
 * the gateway announces a partition only once, so without this it would stay
 * assigned with no reader (issue 9, defect 3). The Subscribe ending stops it.
 */
export class PartitionStream implements AsyncIterable<ConsumedRecord> {
  readonly topic: string;
  readonly partition: number;
  readonly sessionId: string;
  /** Counters for observation and tests. */
  readonly stats = { received: 0, delivered: 0, maxBuffered: 0 };
  /** Resolves with the reason once the wire has ended. */
  readonly ended: Promise<EndReason>;

  /** Records, and skip markers of a filtered subscription (acked in turn, never handed over). */
  private readonly queue: Array<ConsumedRecord | SkipMark> = [];
  private readonly bufferSize: number;
  private readonly bufferBytes: number;
  /** Bytes of the records in `queue` (recordBytes). */
  private queuedBytes = 0;
  private readonly hooks: PartitionHooks;
  private held: ConsumedRecord | undefined;
  private lastHandedOver: bigint | undefined;
  private endReason: EndReason | undefined;
  private failure: SluiceClientError | undefined;
  private paused = false;
  private iterated = false;
  private isSettled = false;
  private wake: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private resolveEnded!: (reason: EndReason) => void;
  private call: ClientReadableStream<unknown>;
  private readonly open: PartitionStreamOptions['open'];
  private readonly reconnect: ResolvedReconnect | false;
  /** The highest offset received over any of this stream's calls. */
  private lastReceived: bigint | undefined;
  private attempt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;

  private batched: boolean;
  private readonly onUnimplemented: (() => void) | undefined;
  /**
   * Replies per ReceiveBatch message: half the buffer, so that pausing once
   * more would not fit keeps the local buffer within bufferSize (grpc-js
   * hands over whole messages).
   */
  private readonly maxRecords: number;
  /** Bytes per ReceiveBatch message asked for: half of bufferBytes, for the same reason. */
  private readonly maxBytes: number;

  constructor(options: PartitionStreamOptions) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.sessionId = options.sessionId;
    this.bufferSize = Math.max(1, options.bufferSize);
    this.maxRecords = Math.max(1, Math.floor(this.bufferSize / 2));
    this.bufferBytes = Math.max(2, options.bufferBytes);
    this.maxBytes = Math.floor(this.bufferBytes / 2);
    this.hooks = options.hooks;
    this.open = options.open;
    this.reconnect = options.reconnect;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.batched = options.batched;
    this.onUnimplemented = options.onUnimplemented;
    this.call = this.attach(this.openWire(0n));
  }

  private openWire(lastKnownOffset: bigint): ClientReadableStream<unknown> {
    return this.open(lastKnownOffset, this.batched, this.maxRecords, this.maxBytes);
  }

  private attach(call: ClientReadableStream<unknown>): ClientReadableStream<unknown> {
    call.on('data', (replies: DecodedReply[]) => {
      if (call !== this.call) return;
      for (const reply of replies) this.onData(reply);
      this.pauseIfFull();
    });
    call.on('error', () => undefined); // reported through 'status'
    call.on('status', (s: StatusObject) => {
      if (call !== this.call) return;
      if (s.code === status.UNIMPLEMENTED && this.batched && this.lastReceived === undefined && this.endReason === undefined) {
        // A gateway without ReceiveBatch (Liiklus, or GRPC_BATCHED_RPCS=false): the same stream over Receive.
        this.batched = false;
        this.onUnimplemented?.();
        this.call = this.attach(this.openWire(0n));
        return;
      }
      this.onStatus(s);
    });
    return call;
  }

  /** Pauses the wire while one more message might not fit in the local buffer. */
  private pauseIfFull(): void {
    if (!this.paused && this.endReason === undefined && this.full()) {
      this.paused = true;
      this.call.pause();
    }
  }

  /** Whether one more message might not fit: in records, or in bytes (a Receive message is one record of unknown size). */
  private full(): boolean {
    const room = this.bufferSize - this.queue.length;
    const bytesRoom = this.bufferBytes - this.queuedBytes;
    return this.batched ? room < this.maxRecords || bytesRoom < this.maxBytes : room < 1 || bytesRoom <= 0;
  }

  /** The RPC the records come over: ReceiveBatch by default, Receive on a gateway without it. */
  get wire(): 'ReceiveBatch' | 'Receive' {
    return this.batched ? 'ReceiveBatch' : 'Receive';
  }

  /** Records waiting locally (never more than bufferSize). */
  get buffered(): number {
    return this.queue.length;
  }

  /** The offset of the last record handed over, if any. */
  get lastDelivered(): bigint | undefined {
    return this.lastHandedOver;
  }

  /** The highest offset waiting locally, if any. */
  get highestBuffered(): bigint | undefined {
    return this.queue.at(-1)?.offset;
  }

  /** Why the wire ended; undefined while receiving. */
  get endedBy(): EndReason | undefined {
    return this.endReason;
  }

  /** Marks the record last handed over as processed (it is acked with the next ack). */
  markDone(): void {
    const record = this.held;
    if (record === undefined) return;
    this.held = undefined;
    this.hooks.processed(this, record);
    this.notifyIdle();
  }

  /** Resolves once no record is held by the consumer. */
  whenIdle(): Promise<void> {
    if (this.held === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops receiving: cancels the call and drops what waits locally. */
  stop(reason: EndReason): void {
    if (this.endReason !== undefined) return;
    this.finishWire(reason);
    clearTimeout(this.reopenTimer);
    this.call.cancel();
  }

  /** The records as an Observable: a record is processed when the subscriber's next() returns. */
  asObservable(): Observable<ConsumedRecord> {
    return from(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedRecord> {
    if (this.iterated) throw new Error(`partition ${this.partition}: a partition stream can be iterated only once`);
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async () => {
        this.held = undefined; // left the loop: the held record was not processed
        this.notifyIdle();
        this.stop('abandoned');
        this.settle();
        return { value: undefined, done: true };
      },
    };
  }

  private async next(): Promise<IteratorResult<ConsumedRecord>> {
    this.markDone();
    let record: ConsumedRecord | SkipMark;
    do {
      while (this.queue.length === 0) {
        if (this.endReason !== undefined) return this.finish();
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      record = this.queue.shift()!;
      this.queuedBytes -= recordBytes(record);
      this.resumeIfLow();
      try {
        const waiting = this.hooks.beforeHandover(this, record);
        if (waiting !== undefined) await waiting;
      } catch (err) {
        const error = toClientError(err, 'Ack');
        this.stop('failed');
        this.settle();
        if (error.unavailable) return { value: undefined, done: true };
        throw error;
      }
      // Everything before a skip marker is processed by now (records are handed
      // over one at a time): acking it moves the position past the filtered records.
      if ('skipped' in record) this.hooks.processed(this, record);
    } while ('skipped' in record);
    this.held = record;
    this.lastHandedOver = record.offset;
    this.stats.delivered++;
    return { value: record, done: false };
  }

  private finish(): IteratorResult<ConsumedRecord> {
    this.settle();
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    return { value: undefined, done: true };
  }

  private settle(): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.hooks.settled(this);
  }

  private onData(record: DecodedReply): void {
    if (this.endReason !== undefined) return;
    // A re-opened call may repeat what the previous one sent (last_known_offset 0 skips nothing).
    if (this.lastReceived !== undefined && record.offset <= this.lastReceived) return;
    this.lastReceived = record.offset;
    this.attempt = 0;
    this.queue.push(record);
    this.queuedBytes += recordBytes(record);
    this.stats.received++;
    this.stats.maxBuffered = Math.max(this.stats.maxBuffered, this.queue.length);
    this.wakeUp();
  }

  private onStatus(s: StatusObject): void {
    if (this.endReason !== undefined) return;
    switch (s.code) {
      case status.OK:
        return this.finishWire('revoked');
      case status.UNAVAILABLE:
      case status.CANCELLED:
        if (this.reopenLater(s)) return;
        return this.finishWire('disconnected');
      case status.NOT_FOUND:
        // The session is gone (the gateway restarted or the subscription ended): the partition is no longer ours.
        return this.finishWire('revoked');
      default:
        this.failure = new SluiceClientError(s.code, s.details, `Receive (partition ${this.partition})`);
        // Records that arrived before the failure are still handed over.
        return this.finishWire('failed', { keepQueue: true });
    }
  }

  /** Schedules a new Receive call with backoff; false when reconnecting is off or exhausted. */
  private reopenLater(s: StatusObject): boolean {
    if (this.reconnect === false || this.attempt >= this.reconnect.maxAttempts) return false;
    const retryInMs = backoffDelay(this.attempt, this.reconnect);
    this.attempt++;
    this.hooks.interrupted(this, new SluiceClientError(s.code, s.details, `Receive (partition ${this.partition})`), this.attempt, retryInMs);
    this.reopenTimer = setTimeout(() => {
      if (this.endReason !== undefined) return;
      this.call = this.attach(this.openWire(this.lastReceived ?? 0n));
      // Still full: the new call waits too.
      this.paused = this.full();
      if (this.paused) this.call.pause();
    }, retryInMs);
    return true;
  }

  private finishWire(reason: EndReason, options: { keepQueue?: boolean } = {}): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    // Not handed over, so not ours to process: the partition's next owner gets them.
    if (!options.keepQueue) {
      this.queue.length = 0;
      this.queuedBytes = 0;
    }
    this.resolveEnded(reason);
    this.hooks.wireEnded(this, reason);
    this.wakeUp();
  }

  private resumeIfLow(): void {
    const low = this.batched
      ? this.queue.length <= this.bufferSize - this.maxRecords && this.queuedBytes <= this.bufferBytes - this.maxBytes
      : this.queue.length <= this.bufferSize / 2 && this.queuedBytes <= this.bufferBytes / 2;
    if (this.paused && low && this.endReason === undefined) {
      this.paused = false;
      this.call.resume();
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private notifyIdle(): void {
    const waiting = this.idleWaiters;
    this.idleWaiters = [];
    waiting.forEach((resolve) => resolve());
  }
}

/** What a queued record holds: its key, value and header bytes (a skip marker nothing). */
function recordBytes(entry: ConsumedRecord | SkipMark): number {
  if ('skipped' in entry) return 0;
  let size = entry.key.length + entry.value.length + (entry.event?.data.length ?? 0);
  for (const name in entry.headers) size += entry.headers[name]!.length;
  return size;
}
