import type { Logger } from 'pino';
import { partitionForKey, UnavailableError, type Envelope, type PublishResult } from '../../src/contracts/index.ts';
import { toBuffer, toKafkaHeaders, toKafkaValue } from './cloudevents.ts';
import type { KafkaDriver, PartitionInfo, ProducedRecord, ProducerDriver } from './driver.ts';
import { kafkaErrorType, toStoreError } from './errors.ts';
import type { TopicAdmin } from './topics.ts';

/**
 * One publish call's records waiting to be sent, in call order: a
 * PublishBatch's records stay one entry, answered once, with no promise or
 * closure per record.
 */
interface Waiting {
  readonly records: readonly ProducedRecord[];
  /** About how many bytes each record takes in a request. */
  readonly sizes: readonly number[];
  readonly results: PublishResult[];
  /** Records taken into requests so far (a call larger than a request's limits spans several). */
  taken: number;
  /** Records whose offsets are known. */
  answered: number;
  failed: boolean;
  resolve(results: PublishResult[]): void;
  reject(error: unknown): void;
}

/** Records [from, to) of a call, sent in one request. */
interface Part {
  call: Waiting;
  from: number;
  to: number;
}

/** Limits of one produce request (records from concurrent publish calls). */
const MAX_BATCH_RECORDS = 1_000;
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Publishes through one shared idempotent producer (acks=all) of the driver.
 * Publish calls that arrive while a request is in flight go together in the
 * next one (one request at a time, as kafkajs's idempotent producer sends
 * anyway), in call order, so per-partition order is the call order.
 *
 * Partitions are chosen here, as Java's default partitioner does (murmur2 of
 * the key over all partitions; keyless records round robin over partitions
 * with a leader), and set on each record, so a retry never moves a record,
 * each call learns its offset, and both drivers agree.
 *
 * A producer whose request failed is replaced by a new one (new producer id):
 * an idempotent producer's sequence numbers are not trustworthy after a
 * failed request, so the next record could otherwise be dropped as a
 * "duplicate" of one the broker had appended.
 */
export class Publisher {
  private producer: Promise<ProducerDriver> | undefined;
  private readonly queue: Waiting[] = [];
  private flushing = false;
  private closed = false;
  /** Since when publishing fails (logged once when it starts and once when it recovers). */
  private failingSince: number | undefined;
  /** Round robin for keyless records (random start, as kafkajs's and Java's). */
  private keyless = Math.floor(Math.random() * 0x7fffffff);

  constructor(
    private readonly driver: KafkaDriver,
    private readonly topics: TopicAdmin,
    private readonly logger: Logger,
  ) {}

  async publish(envelope: Envelope): Promise<PublishResult> {
    this.ensureOpen();
    const topic = await this.topics.ensure(envelope.topic);
    this.ensureOpen();
    const record = this.prepare(envelope, topic.partitions);
    return new Promise<PublishResult>((resolve, reject) => this.enqueue([record], [recordSize(record)], (results) => resolve(results[0]!), reject));
  }

  /**
   * Several records in this order (PublishBatch): each topic resolved once,
   * one queue entry and one promise for all of them; they join the same queue
   * as single publishes, so they go in as few requests as the limits allow.
   * Fails with the first failure; records of the call sent before it may be
   * stored, those not yet sent are not sent.
   */
  async publishMany(envelopes: readonly Envelope[]): Promise<PublishResult[]> {
    this.ensureOpen();
    const partitions = new Map<string, readonly PartitionInfo[]>();
    // An index loop: a for-of with an await in it allocates an iterator result per record.
    for (let i = 0; i < envelopes.length; i++) {
      const { topic } = envelopes[i]!;
      if (!partitions.has(topic)) partitions.set(topic, (await this.topics.ensure(topic)).partitions);
    }
    this.ensureOpen();
    if (envelopes.length === 0) return [];
    const records = new Array<ProducedRecord>(envelopes.length);
    const sizes = new Array<number>(envelopes.length);
    let topic = '';
    let topicPartitions: readonly PartitionInfo[] = [];
    for (let i = 0; i < envelopes.length; i++) {
      const envelope = envelopes[i]!;
      if (envelope.topic !== topic) {
        topic = envelope.topic;
        topicPartitions = partitions.get(topic)!;
      }
      const record = this.prepare(envelope, topicPartitions);
      records[i] = record;
      sizes[i] = recordSize(record);
    }
    return new Promise<PublishResult[]>((resolve, reject) => this.enqueue(records, sizes, resolve, reject));
  }

  private enqueue(records: readonly ProducedRecord[], sizes: readonly number[], resolve: (results: PublishResult[]) => void, reject: (error: unknown) => void): void {
    this.queue.push({ records, sizes, results: new Array<PublishResult>(records.length), taken: 0, answered: 0, failed: false, resolve, reject });
    this.scheduleFlush();
  }

  /** The Kafka record for `envelope`, its partition chosen. */
  private prepare(envelope: Envelope, partitions: readonly PartitionInfo[]): ProducedRecord {
    const key = envelope.key !== null && envelope.key.length > 0 ? toBuffer(envelope.key) : null;
    return {
      topic: envelope.topic,
      partition: this.partitionFor(key, partitions),
      key,
      value: toKafkaValue(envelope),
      headers: toKafkaHeaders(envelope) as ProducedRecord['headers'],
    };
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const call of this.queue.splice(0)) fail(call, new UnavailableError('the Kafka records store is closing'));
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.close().catch(() => undefined);
  }

  private partitionFor(key: Buffer | null, partitions: readonly PartitionInfo[]): number {
    if (key !== null) return partitionForKey(key, partitions.length);
    let available = 0;
    for (const p of partitions) if (p.leader >= 0) available++;
    this.keyless = (this.keyless + 1) & 0x7fffffff;
    // The n-th partition with a leader (of all partitions when none has one), without a filtered copy per record.
    let n = this.keyless % (available > 0 ? available : partitions.length);
    for (const p of partitions) if ((available === 0 || p.leader >= 0) && n-- === 0) return p.partitionId;
    throw new Error('unreachable: n is below the number of partitions counted');
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('the Kafka records store is closed');
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const records: ProducedRecord[] = [];
      const parts: Part[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && records.length < MAX_BATCH_RECORDS) {
        const call = this.queue[0]!;
        if (call.failed) {
          this.queue.shift();
          continue;
        }
        const from = call.taken;
        let i = from;
        while (i < call.records.length && records.length < MAX_BATCH_RECORDS && (records.length === 0 || bytes + call.sizes[i]! <= MAX_BATCH_BYTES)) {
          bytes += call.sizes[i]!;
          records.push(call.records[i]!);
          i++;
        }
        if (i > from) parts.push({ call, from, to: i });
        call.taken = i;
        if (i < call.records.length) break;
        this.queue.shift();
      }
      if (records.length > 0) await this.send(records, parts);
    }
    this.flushing = false;
  }

  private async send(records: ProducedRecord[], parts: readonly Part[], retried = false): Promise<void> {
    const connecting = this.connect();
    try {
      const producer = await connecting;
      const offsets = new NextOffsets(await producer.send(records));
      for (const { call, from, to } of parts) {
        for (let i = from; i < to; i++) {
          const { topic, partition } = call.records[i]!;
          const offset = offsets.take(topic, partition);
          if (offset === undefined) fail(call, toStoreError(new Error('no offset in the produce response'), 'cannot publish'));
          else call.results[i] = { topic, partition, offset };
        }
        call.answered += to - from;
        if (call.answered === call.records.length && !call.failed) call.resolve(call.results);
      }
      if (this.failingSince !== undefined) {
        this.logger.info({ failedForMs: Date.now() - this.failingSince }, 'publishing to Kafka works again');
        this.failingSince = undefined;
      }
    } catch (err) {
      this.discard(connecting);
      const type = kafkaErrorType(err);
      const topics = new Set(records.map((r) => r.topic));
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'NOT_LEADER_FOR_PARTITION' || type === 'NOT_LEADER_OR_FOLLOWER') for (const topic of topics) this.topics.forget(topic);
      // kafkajs keeps every topic a producer ever wrote to in its metadata
      // requests; one deleted since fails them all, for every topic. A new
      // producer (new metadata) is tried once (issue 9).
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION' && !retried && !this.closed) {
        await this.send(records, parts, true);
        return;
      }
      const error = toStoreError(err, 'cannot publish');
      if (error.code === 'UNAVAILABLE' && this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.logger.warn({ err: error.message }, 'publishing to Kafka fails; publish calls get UNAVAILABLE until it works again');
      } else if (error.code === 'INTERNAL') {
        this.logger.error({ err: error.message, records: records.length }, 'publish failed');
      }
      for (const { call } of parts) fail(call, error);
    }
  }

  private connect(): Promise<ProducerDriver> {
    if (this.producer === undefined) {
      const connected = this.driver.connectProducer();
      this.producer = connected;
      connected.catch(() => this.discard(connected));
    }
    return this.producer;
  }

  private discard(producer: Promise<ProducerDriver>): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    void producer.then((p) => p.close()).catch(() => undefined);
  }
}

/** Fails a call once (its other records' outcomes are then ignored, and those not yet sent are dropped). */
function fail(call: Waiting, error: unknown): void {
  if (call.failed) return;
  call.failed = true;
  call.reject(error);
}

/** About how many bytes `record` takes in a produce request. */
function recordSize(record: ProducedRecord): number {
  let size = 100 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  const headers = record.headers;
  for (const name in headers) size += name.length + (headers[name]?.length ?? 0);
  return size;
}

/**
 * The offset of each record of a request, in request order: a partition's
 * base offset from the produce response, then one more per record (a
 * per-topic array by partition: no key string per record).
 */
class NextOffsets {
  private readonly next = new Map<string, Array<bigint | undefined>>();

  constructor(private readonly base: ReadonlyMap<string, bigint>) {}

  /** The offset of the next record of (topic, partition); undefined when the response gave none (nor any later). */
  take(topic: string, partition: number): bigint | undefined {
    let byPartition = this.next.get(topic);
    if (byPartition === undefined) this.next.set(topic, (byPartition = []));
    const offset = byPartition[partition] ?? this.base.get(`${topic}\u0000${partition}`);
    if (offset === undefined || offset < 0n) return undefined;
    byPartition[partition] = offset + 1n;
    return offset;
  }
}
