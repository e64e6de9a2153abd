/** Direct kafkajs helpers for the benchmarks: preloading topics and the direct consumer/producer baselines. */
import kafkajs, { type Kafka } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export function kafkaClient(brokers: string, clientId = 'sluice-bench'): Kafka {
  return new KafkaClient({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Creates `topic` with `partitions` and writes `count` records of `valueBytes` spread evenly (partition set explicitly), each with `headers`. */
export async function preloadTopic(kafka: Kafka, topic: string, partitions: number, count: number, valueBytes: number, headers?: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(valueBytes, 'x');
  const BATCH = Math.max(1, Math.floor(512_000 / (valueBytes + 50)));
  for (let sent = 0; sent < count; sent += BATCH) {
    const n = Math.min(BATCH, count - sent);
    await producer.send({
      topic,
      acks: 1,
      messages: Array.from({ length: n }, (_, i) => ({ partition: (sent + i) % partitions, value, headers })),
    });
  }
  await producer.disconnect();
}

/**
 * Reads `count` records of `topic` from the beginning with a plain kafkajs
 * consumer (eachBatch); resolves with records/s, timed from its first fetch
 * (after the group join) to the count-th record (ReadRate).
 */
export async function readDirect(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `direct-${topic}-${Date.now()}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const rate = new ReadRate(count);
  const stopListening = consumer.on(consumer.events.FETCH_START, () => rate.start());
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (rate.add(batch.messages.length)) resolve(rate.perSecond());
      },
    });
  });
  const perSecond = await done;
  stopListening();
  await consumer.disconnect();
  return perSecond;
}

/**
 * A read rate timed from when the reader began fetching (start(): the direct
 * consumer's first fetch, Sluice's Receive calls opened) to the count-th
 * record, every record counted. Timing from the first record instead
 * overstated Sluice: with grpc-js's 64 KiB window a ReceiveBatch stream's first
 * 1 MiB message reached the client about 1.5 s after the gateway wrote it,
 * while the gateway queued up to 16 messages per stream (4 partitions of 100 B:
 * about 500,000 records), which then arrived "after the first" at memory
 * speed (same run: 770,000 records/s from the first record, 350,000 from the
 * Receive calls).
 */
export class ReadRate {
  private seen = 0;
  private started = 0n;
  private ended = 0n;

  constructor(private readonly count: number) {}

  /** The reader begins fetching (only the first call counts). */
  start(): void {
    if (this.started === 0n) this.started = process.hrtime.bigint();
  }

  /** Counts `n` records delivered together; true once `count` arrived in all. */
  add(n: number): boolean {
    this.start();
    this.seen += n;
    if (this.seen < this.count || this.ended !== 0n) return false;
    this.ended = process.hrtime.bigint();
    return true;
  }

  perSecond(): number {
    return this.seen / (Number(this.ended - this.started) / 1e9);
  }
}
