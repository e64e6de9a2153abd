import { RecordBlock, runRecords, type PartitionSource, type RecordRun, type StoredRecord } from '../../src/contracts/index.ts';
import { fromKafkaMessage, fromUnmappableMessage, recordSize, Slab } from './cloudevents.ts';
import type { FetchedBatch, FetchedMessage } from './driver.ts';
import { blockOf, type FetchedColumns } from './record-columns.ts';

/** Records taken into the buffer together: one fetched batch's, as objects (with each one's size) or as a block. */
interface Run {
  records: StoredRecord[] | RecordBlock;
  /** Each record's size when `records` is an array. */
  sizes: number[];
  bytes: number;
}

/** Approximate memory a block holds: its bytes, its columns and a small share of fixed overhead per record. */
const blockSize = (block: RecordBlock): number =>
  block.bytes.byteLength + block.length * ((RecordBlock.STRIDE + (block.headerColumns === undefined ? 0 : RecordBlock.HEADER_STRIDE)) * 8 + 16) + 200;

/** What a partition source asks of its group member's consumer. */
export interface PartitionControl {
  /** Stops fetching the partition (kafkajs pause). */
  pause(partition: number): void;
  /** Fetches the partition from `offset` on (kafkajs seek + resume). */
  fetchFrom(partition: number, offset: bigint): void;
  /** Where a new reader starts: the stored position + 1, else auto offset reset. */
  startOffset(partition: number): Promise<bigint>;
}

export interface ReadAhead {
  /** Pause fetching at this many buffered records (scaled up for a fast reader, like `bytes`). */
  records: number;
  /** Pause fetching at this many buffered bytes, approximately: the high-water mark of a slow reader. */
  bytes: number;
  /** The high-water mark a fast reader may grow to. */
  maxBytes: number;
  /** How long a resumed fetch may take to come (the consumer's fetch max wait): what the buffer must cover. */
  coverMs: number;
  /** Drop the buffer of a reader that has not pulled for this long (it is fetched again when it pulls). */
  releaseMs: number;
}

/** Time constant of the reader's rate estimate. */
const RATE_WINDOW_MS = 1_000;

/**
 * One partition assigned to one group member. Fetched records go into a
 * buffer that the reader pulls from; the partition is fetched only while a
 * reader is open and the buffer is below its high-water mark, and paused
 * otherwise, so the consumer keeps heartbeating (it never waits for a reader).
 *
 * - The high-water mark is `readAhead.bytes` for a slow reader and grows, up
 *   to `maxBytes`, to twice what the reader pulls in `coverMs`: a paused
 *   partition is fetched again up to `coverMs` after it is resumed (when the
 *   member's other partitions are idle or paused), and the buffer must last
 *   that long or the reader waits.
 * - A reader that stops pulling for `releaseMs` loses its buffer (the
 *   partition is fetched again from the first record it did not get, when it
 *   pulls): a stalled reader holds the high-water mark plus one fetch for at
 *   most `releaseMs`, then nothing.
 * - Buffered records do not pin much of a fetch response: objects are copies
 *   (one slab per fetched batch), and a block is a view of the response only
 *   when it is a large share of it, else a copy (record-columns.ts, blockOf).
 */
export class KafkaPartitionSource implements PartitionSource {
  private runs: Run[] = [];
  private bufferedRecords = 0;
  private bufferedBytes = 0;
  /** The reader's iteration number, 0 when no reader. */
  private reader = 0;
  private iterations = 0;
  /** Whether kafkajs is fetching the partition (not paused). */
  private fetching = false;
  /** The next offset to buffer; undefined until the reader's start is known. */
  private nextOffset: bigint | undefined;
  private ended: 'revoked' | Error | undefined;
  private wake: (() => void) | undefined;
  private wakeScheduled = false;
  /** Bytes the reader pulled, decaying with RATE_WINDOW_MS: about its rate per window. */
  private recentBytes = 0;
  private lastPull = 0;
  private releaseTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly partition: number,
    private readonly topic: string,
    private readonly control: PartitionControl,
    private readonly readAhead: ReadAhead,
    /** Told of a record delivered without its headers because they could not be mapped. */
    private readonly onUnmappable?: (message: FetchedMessage, err: unknown) => void,
  ) {}

  /** Records held for a reader that has not pulled them yet. */
  get buffered(): { records: number; bytes: number } {
    return { records: this.bufferedRecords, bytes: this.bufferedBytes };
  }

  /** Whether the partition is being fetched. */
  get active(): boolean {
    return this.fetching;
  }

  /** The current high-water mark in bytes. */
  get highWaterBytes(): number {
    return this.readAhead.bytes * this.scale();
  }

  /**
   * Re-applies this partition's fetch state to a fresh kafkajs assignment
   * (after every rebalance): kafkajs forgets positions on rebalance but keeps
   * pause flags, so both are set again.
   */
  reapply(): void {
    if (this.ended === undefined && this.reader !== 0 && this.nextOffset !== undefined && !this.full()) {
      this.fetching = true;
      this.control.fetchFrom(this.partition, this.nextOffset);
    } else {
      this.fetching = false;
      this.control.pause(this.partition);
    }
  }

  /**
   * Takes a fetched batch (at most KAFKA_FETCH_MAX_BYTES_PER_PARTITION, or one
   * larger record batch) into the buffer, and pauses the partition once the
   * buffer reached its high-water mark. Taking whole batches (rather than
   * what fits) means nothing is fetched twice; the buffer's bound is the
   * high-water mark plus one fetch.
   */
  offer(batch: FetchedBatch, resolveOffset: (offset: string) => void): void {
    if (this.ended !== undefined || this.reader === 0 || !this.fetching || this.nextOffset === undefined) return;
    const before = this.nextOffset;
    if (batch.columns !== undefined) this.takeColumns(batch.columns);
    else this.takeMessages(batch.messages);
    // Past control records and aborted transactions at the batch's end too.
    const last = BigInt(batch.lastOffset());
    if (last + 1n > this.nextOffset) this.nextOffset = last + 1n;
    if (this.nextOffset !== before) resolveOffset((this.nextOffset - 1n).toString());
    if (this.full()) {
      this.fetching = false;
      this.control.pause(this.partition);
      this.armRelease(this.readAhead.releaseMs);
    }
    if (this.bufferedRecords > 0) this.wakeAfterFetch();
  }

  /**
   * Wakes a waiting reader once kafkajs has sent its next fetch request (a
   * macrotask later), not in the same microtask run: otherwise the reader
   * encodes what was just offered (about 1 ms per MiB) before kafkajs gets to
   * fetch again, and fetching and encoding take turns instead of overlapping.
   * Same run, 1 KiB records, 5 rounds: four partitions 291k -> 326k records/s,
   * one partition 205k -> 238k.
   */
  private wakeAfterFetch(): void {
    if (this.wake === undefined || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wakeUp();
    });
  }

  /** A fetched batch's new records as one block (no object per record). */
  private takeColumns(fetched: FetchedColumns): void {
    const next = Number(this.nextOffset);
    let from = fetched.firstRow;
    while (from < fetched.rows && fetched.columns[from * RecordBlock.STRIDE]! < next) from++;
    // A reader waiting on an empty buffer takes the block at once: no copy needed to spare the fetch response.
    const block = blockOf(this.topic, this.partition, fetched, from, this.wake !== undefined && this.runs.length === 0);
    if (block === undefined) return;
    this.push({ records: block, sizes: [], bytes: blockSize(block) });
    this.nextOffset = block.lastOffset + 1n;
  }

  /** A fetched batch's new messages as records, their bytes copied into one slab. */
  private takeMessages(messages: readonly FetchedMessage[]): void {
    const next = this.nextOffset!;
    // First pass: what is new, each record's size, and how many bytes it copies (one slab for the batch).
    let first = messages.length;
    let slabBytes = 0;
    const sizes: number[] = [];
    for (let i = 0; i < messages.length; i++) {
      if (first === messages.length) {
        if (BigInt(messages[i]!.offset) < next) continue;
        first = i;
      }
      const bytes = Slab.bytesOf(messages[i]!);
      slabBytes += bytes;
      sizes.push(recordSize(messages[i]!, bytes));
    }
    if (first === messages.length) return;
    const slab = new Slab(slabBytes);
    const copyBytes = (bytes: Buffer) => slab.copy(bytes);
    const records: StoredRecord[] = [];
    let offset: bigint | undefined;
    let bytes = 0;
    for (let i = first; i < messages.length; i++) {
      const message = messages[i]!;
      offset = BigInt(message.offset);
      records.push(this.toRecord(message, offset, copyBytes));
      bytes += sizes[i - first]!;
    }
    this.push({ records, sizes, bytes });
    this.nextOffset = offset! + 1n;
  }

  private push(run: Run): void {
    this.runs.push(run);
    this.bufferedRecords += run.records.length;
    this.bufferedBytes += run.bytes;
  }

  /**
   * Never throws: this runs inside kafkajs's eachBatch, where an exception
   * crashes the consumer and, on the next member, again (issue 9).
   */
  private toRecord(message: FetchedMessage, offset: bigint, copyBytes: (bytes: Buffer) => Uint8Array): StoredRecord {
    try {
      return fromKafkaMessage(this.topic, this.partition, message, copyBytes, offset);
    } catch (err) {
      this.onUnmappable?.(message, err);
      return fromUnmappableMessage(this.topic, this.partition, message);
    }
  }

  /** The partition moved to another member (or the subscription ended): iterations end. */
  revoke(): void {
    this.ended ??= 'revoked';
    this.clear();
    this.wakeUp();
  }

  /** The store failed: iterations throw `error`. */
  fail(error: Error): void {
    this.ended ??= error;
    this.clear();
    this.wakeUp();
  }

  async *records(signal: AbortSignal): AsyncIterable<StoredRecord> {
    for await (const record of this.pull(signal, () => this.take())) yield record;
  }

  /** Everything buffered, in one array per pull (the reader's rate is counted the same way). */
  batches(signal: AbortSignal): AsyncIterable<readonly StoredRecord[]> {
    return this.pull(signal, () => this.takeAll());
  }

  /** What is buffered, a block or the records of consecutive fetched batches per pull. */
  blocks(signal: AbortSignal): AsyncIterable<RecordRun> {
    return this.pull(signal, () => this.takeRun());
  }

  /** The reader loop shared by records() and batches(): `take` gets what one pull returns, undefined when nothing is buffered. */
  private async *pull<T>(signal: AbortSignal, take: () => T | undefined): AsyncIterable<T> {
    const iteration = ++this.iterations;
    this.reader = iteration;
    this.clear();
    this.nextOffset = undefined;
    this.recentBytes = 0;
    if (this.fetching) {
      this.fetching = false;
      this.control.pause(this.partition);
    }
    const onAbort = () => this.wakeUp();
    signal.addEventListener('abort', onAbort);
    try {
      if (this.stopped(signal, iteration)) return;
      const start = await this.control.startOffset(this.partition);
      if (this.stopped(signal, iteration)) return;
      this.nextOffset = start;
      this.fetching = true;
      this.control.fetchFrom(this.partition, start);
      for (;;) {
        if (this.stopped(signal, iteration)) return;
        const taken = take();
        this.refill();
        if (taken !== undefined) {
          yield taken;
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (this.reader === iteration) {
        this.reader = 0;
        this.clear();
        if (this.fetching && this.ended === undefined) {
          this.fetching = false;
          this.control.pause(this.partition);
        }
      }
    }
  }

  /** Whether an iteration must end: throws the store's failure, true when revoked, aborted or superseded. */
  private stopped(signal: AbortSignal, iteration: number): boolean {
    if (this.ended instanceof Error) throw this.ended;
    return this.ended !== undefined || signal.aborted || this.reader !== iteration;
  }

  private take(): StoredRecord | undefined {
    const head = this.runs[0];
    if (head === undefined) return undefined;
    if (head.records instanceof RecordBlock) {
      const share = head.bytes / head.records.length;
      head.sizes = new Array<number>(head.records.length).fill(share);
      head.records = head.records.toRecords();
    }
    const record = head.records.shift()!;
    const size = head.sizes.shift()!;
    head.bytes -= size;
    if (head.records.length === 0) this.runs.shift();
    this.taken(1, size);
    return record;
  }

  private takeAll(): StoredRecord[] | undefined {
    if (this.runs.length === 0) return undefined;
    const runs = this.runs;
    this.taken(this.bufferedRecords, this.bufferedBytes);
    this.runs = [];
    if (runs.length === 1 && Array.isArray(runs[0]!.records)) return runs[0]!.records;
    const records: StoredRecord[] = [];
    for (const run of runs) for (const record of runRecords(run.records)) records.push(record);
    return records;
  }

  /** The first buffered block, else the records of the buffered runs up to the next block. */
  private takeRun(): RecordRun | undefined {
    const head = this.runs[0];
    if (head === undefined) return undefined;
    if (head.records instanceof RecordBlock) {
      this.runs.shift();
      this.taken(head.records.length, head.bytes);
      return head.records;
    }
    let end = 1;
    while (end < this.runs.length && Array.isArray(this.runs[end]!.records)) end++;
    const runs = this.runs.splice(0, end);
    if (runs.length === 1) {
      this.taken(head.records.length, head.bytes);
      return head.records;
    }
    const records: StoredRecord[] = [];
    let bytes = 0;
    for (const run of runs) {
      for (const record of run.records as StoredRecord[]) records.push(record);
      bytes += run.bytes;
    }
    this.taken(records.length, bytes);
    return records;
  }

  /** Counts records leaving the buffer for the reader, and the reader's rate. */
  private taken(records: number, bytes: number): void {
    this.bufferedRecords -= records;
    this.bufferedBytes -= bytes;
    const now = Date.now();
    this.recentBytes = this.recentBytes * Math.exp(-(now - this.lastPull) / RATE_WINDOW_MS) + bytes;
    this.lastPull = now;
  }

  /**
   * Resumes fetching as soon as there is room again: the reader then has
   * about a high-water mark's worth to work through while the next fetch
   * comes. (A lower resume mark would only let it run dry sooner.)
   */
  private refill(): void {
    if (this.fetching || this.nextOffset === undefined || this.ended !== undefined || this.full()) return;
    this.disarmRelease();
    this.fetching = true;
    this.control.fetchFrom(this.partition, this.nextOffset);
  }

  /** How far the high-water marks are raised for the reader's current rate. */
  private scale(): number {
    const rate = (this.recentBytes * Math.exp(-(Date.now() - this.lastPull) / RATE_WINDOW_MS)) / RATE_WINDOW_MS; // bytes per ms
    const wanted = (2 * rate * this.readAhead.coverMs) / this.readAhead.bytes;
    return Math.min(Math.max(1, wanted), this.readAhead.maxBytes / this.readAhead.bytes);
  }

  private full(): boolean {
    const scale = this.scale();
    return this.bufferedRecords >= this.readAhead.records * scale || this.bufferedBytes >= this.readAhead.bytes * scale;
  }

  private armRelease(delayMs: number): void {
    this.disarmRelease();
    this.releaseTimer = setTimeout(() => this.releaseIfStalled(), delayMs);
    this.releaseTimer.unref();
  }

  private disarmRelease(): void {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /** Drops the buffer of a reader that stopped pulling; it is fetched again from its first record. */
  private releaseIfStalled(): void {
    this.releaseTimer = undefined;
    if (this.fetching || this.reader === 0 || this.ended !== undefined || this.runs.length === 0) return;
    const idle = Date.now() - this.lastPull;
    if (idle < this.readAhead.releaseMs) {
      this.armRelease(this.readAhead.releaseMs - idle);
      return;
    }
    const head = this.runs[0]!.records;
    this.nextOffset = head instanceof RecordBlock ? head.firstOffset : head[0]!.offset;
    this.clear();
    this.recentBytes = 0;
  }

  private clear(): void {
    this.disarmRelease();
    this.runs = [];
    this.bufferedRecords = 0;
    this.bufferedBytes = 0;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
