import kafkajs, { type Kafka as KafkaClient, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { UnavailableError, type Envelope, type PublishResult } from '../../src/contracts/index.ts';
import { toBuffer, toKafkaRecord } from './cloudevents.ts';
import { kafkaErrorType, toStoreError } from './errors.ts';
import type { TopicAdmin } from './topics.ts';

const { Partitioners } = kafkajs;

interface Pending {
  topic: string;
  message: Message & { partition: number };
  size: number;
  resolve(result: PublishResult): void;
  reject(error: unknown): void;
}

/** Limits of one produce request (records from concurrent publish calls). */
const MAX_BATCH_RECORDS = 1_000;
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Publishes through one shared idempotent producer (acks=all). Publish calls
 * that arrive while a request is in flight go together in the next one
 * (kafkajs sends one request per broker at a time for an idempotent producer),
 * in call order, so per-partition order is the call order.
 *
 * Partitions are chosen here, with kafkajs's DefaultPartitioner (Java's
 * murmur2 for keyed records, round robin for keyless ones), and set on each
 * message, so a retry never moves a record and each call learns its offset.
 *
 * A producer whose request failed is replaced by a new one (new producer id):
 * an idempotent producer's sequence numbers are not trustworthy after a
 * failed request, so the next record could otherwise be dropped as a
 * "duplicate" of one the broker had appended.
 */
export class Publisher {
  private producer: Promise<Producer> | undefined;
  private readonly queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  /** Since when publishing fails (logged once when it starts and once when it recovers). */
  private failingSince: number | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly client: KafkaClient,
    private readonly topics: TopicAdmin,
    private readonly logger: Logger,
  ) {}

  async publish(envelope: Envelope): Promise<PublishResult> {
    this.ensureOpen();
    const topic = await this.topics.ensure(envelope.topic);
    this.ensureOpen();
    const { headers, value } = toKafkaRecord(envelope);
    const key = envelope.key !== null && envelope.key.length > 0 ? toBuffer(envelope.key) : null;
    const partition = this.partitioner({ topic: envelope.topic, partitionMetadata: [...topic.partitions], message: { key, value, headers } });
    let size = 100 + (key?.length ?? 0) + (value?.length ?? 0);
    for (const [name, v] of Object.entries(headers)) size += name.length + (v?.length ?? 0);
    return new Promise<PublishResult>((resolve, reject) => {
      this.queue.push({ topic: envelope.topic, message: { key, value, headers, partition }, size, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new UnavailableError('the Kafka records store is closing'));
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.disconnect().catch(() => undefined);
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
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push(message);
    }
    const connecting = this.connect();
    try {
      const producer = await connecting;
      const results = await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      const base = new Map(results.map((r) => [`${r.topicName}\u0000${r.partition}`, BigInt(r.baseOffset ?? r.offset ?? '-1')]));
      const next = new Map<string, bigint>();
      for (const pending of batch) {
        const slot = `${pending.topic}\u0000${pending.message.partition}`;
        const offset = next.get(slot) ?? base.get(slot);
        if (offset === undefined || offset < 0n) {
          pending.reject(toStoreError(new Error('no offset in the produce response'), 'cannot publish'));
          continue;
        }
        next.set(slot, offset + 1n);
        pending.resolve({ topic: pending.topic, partition: pending.message.partition, offset });
      }
      if (this.failingSince !== undefined) {
        this.logger.info({ failedForMs: Date.now() - this.failingSince }, 'publishing to Kafka works again');
        this.failingSince = undefined;
      }
    } catch (err) {
      this.discard(connecting);
      const type = kafkaErrorType(err);
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'NOT_LEADER_FOR_PARTITION') for (const topic of byTopic.keys()) this.topics.forget(topic);
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

  private connect(): Promise<Producer> {
    if (this.producer === undefined) {
      const producer = this.client.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Bounded (kafkajs's idempotent default is unbounded: a publish would
        // wait forever for a broker that is down); the producer is replaced after a failure.
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      const connected = producer.connect().then(() => producer);
      this.producer = connected;
      connected.catch(() => this.discard(connected));
    }
    return this.producer;
  }

  private discard(producer: Promise<Producer>): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    void producer.then((p) => p.disconnect()).catch(() => undefined);
  }
}
