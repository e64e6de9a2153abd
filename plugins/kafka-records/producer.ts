import type { Logger } from 'pino';
import { partitionForKey, UnavailableError, type Envelope, type PublishResult } from '../../src/contracts/index.ts';
import { toBuffer, toKafkaRecord } from './cloudevents.ts';
import type { KafkaDriver, PartitionInfo, ProducedRecord, ProducerDriver } from './driver.ts';
import { kafkaErrorType, toStoreError } from './errors.ts';
import type { TopicAdmin } from './topics.ts';

interface Pending {
  record: ProducedRecord;
  size: number;
  resolve(result: PublishResult): void;
  reject(error: unknown): void;
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
  private readonly queue: Pending[] = [];
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
    const { record, size } = this.prepare(envelope, topic.partitions);
    return new Promise<PublishResult>((resolve, reject) => {
      this.queue.push({ record, size, resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Several records in this order (PublishBatch): each topic resolved once,
   * one promise for all of them instead of one per record; they join the
   * same queue as single publishes, so they go in as few requests as the
   * limits allow. Fails with the first failure (records before it may be stored).
   */
  async publishMany(envelopes: readonly Envelope[]): Promise<PublishResult[]> {
    this.ensureOpen();
    const partitions = new Map<string, readonly PartitionInfo[]>();
    for (const { topic } of envelopes) if (!partitions.has(topic)) partitions.set(topic, (await this.topics.ensure(topic)).partitions);
    this.ensureOpen();
    if (envelopes.length === 0) return [];
    const prepared = envelopes.map((envelope) => this.prepare(envelope, partitions.get(envelope.topic)!));
    return new Promise<PublishResult[]>((resolve, reject) => {
      const results = new Array<PublishResult>(prepared.length);
      let left = prepared.length;
      let failed = false;
      prepared.forEach(({ record, size }, i) => {
        this.queue.push({
          record,
          size,
          resolve: (result) => {
            results[i] = result;
            if (--left === 0 && !failed) resolve(results);
          },
          reject: (error) => {
            if (failed) return;
            failed = true;
            reject(error);
          },
        });
      });
      this.scheduleFlush();
    });
  }

  /** The Kafka record for `envelope`, its partition chosen, and about how many bytes it takes in a request. */
  private prepare(envelope: Envelope, partitions: readonly PartitionInfo[]): { record: ProducedRecord; size: number } {
    const { headers, value } = toKafkaRecord(envelope);
    const key = envelope.key !== null && envelope.key.length > 0 ? toBuffer(envelope.key) : null;
    const partition = this.partitionFor(key, partitions);
    let size = 100 + (key?.length ?? 0) + (value?.length ?? 0);
    for (const name in headers) size += name.length + (headers[name]?.length ?? 0);
    return { record: { topic: envelope.topic, partition, key, value, headers: headers as ProducedRecord['headers'] }, size };
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new UnavailableError('the Kafka records store is closing'));
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.close().catch(() => undefined);
  }

  private partitionFor(key: Buffer | null, partitions: readonly PartitionInfo[]): number {
    if (key !== null) return partitionForKey(key, partitions.length);
    const available = partitions.filter((p) => p.leader >= 0);
    const from = available.length > 0 ? available : partitions;
    this.keyless = (this.keyless + 1) & 0x7fffffff;
    return from[this.keyless % from.length]!.partitionId;
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('the Kafka records store is closed');
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < this.queue.length && count < MAX_BATCH_RECORDS && (count === 0 || bytes + this.queue[count]!.size <= MAX_BATCH_BYTES)) {
        bytes += this.queue[count]!.size;
        count++;
      }
      await this.send(this.queue.splice(0, count));
    }
    this.flushing = false;
  }

  private async send(batch: Pending[], retried = false): Promise<void> {
    const connecting = this.connect();
    try {
      const producer = await connecting;
      const base = await producer.send(batch.map((p) => p.record));
      const next = new Map<string, bigint>();
      for (const pending of batch) {
        const { topic, partition } = pending.record;
        const slot = `${topic}\u0000${partition}`;
        const offset = next.get(slot) ?? base.get(slot);
        if (offset === undefined || offset < 0n) {
          pending.reject(toStoreError(new Error('no offset in the produce response'), 'cannot publish'));
          continue;
        }
        next.set(slot, offset + 1n);
        pending.resolve({ topic, partition, offset });
      }
      if (this.failingSince !== undefined) {
        this.logger.info({ failedForMs: Date.now() - this.failingSince }, 'publishing to Kafka works again');
        this.failingSince = undefined;
      }
    } catch (err) {
      this.discard(connecting);
      const type = kafkaErrorType(err);
      const topics = new Set(batch.map((p) => p.record.topic));
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'NOT_LEADER_FOR_PARTITION' || type === 'NOT_LEADER_OR_FOLLOWER') for (const topic of topics) this.topics.forget(topic);
      // kafkajs keeps every topic a producer ever wrote to in its metadata
      // requests; one deleted since fails them all, for every topic. A new
      // producer (new metadata) is tried once (issue 9).
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION' && !retried && !this.closed) {
        await this.send(batch, true);
        return;
      }
      const error = toStoreError(err, 'cannot publish');
      if (error.code === 'UNAVAILABLE' && this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.logger.warn({ err: error.message }, 'publishing to Kafka fails; publish calls get UNAVAILABLE until it works again');
      } else if (error.code === 'INTERNAL') {
        this.logger.error({ err: error.message, records: batch.length }, 'publish failed');
      }
      for (const pending of batch) pending.reject(error);
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
