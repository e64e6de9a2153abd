/** Direct kafkajs helpers for the benchmarks: preloading topics and the direct consumer/producer baselines. */
import kafkajs, { type Kafka } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export function kafkaClient(brokers: string, clientId = 'sluice-bench'): Kafka {
  return new KafkaClient({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Creates `topic` with `partitions` and writes `count` records of `valueBytes` spread evenly (partition set explicitly). */
export async function preloadTopic(kafka: Kafka, topic: string, partitions: number, count: number, valueBytes: number): Promise<void> {
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
      messages: Array.from({ length: n }, (_, i) => ({ partition: (sent + i) % partitions, value })),
    });
  }
  await producer.disconnect();
}

/** Reads `count` records of `topic` from the beginning with a plain kafkajs consumer (eachBatch); resolves with records/s (RateAfterFirst). */
export async function readDirect(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `direct-${topic}-${Date.now()}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const rate = new RateAfterFirst(count);
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (rate.add(batch.messages.length)) resolve(rate.perSecond());
      },
    });
  });
  const perSecond = await done;
  await consumer.disconnect();
  return perSecond;
}

/**
 * A read rate that leaves out the first delivery: the clock starts when the
 * first batch (or message) arrives, so what came with it is not counted
 * (else a backlog that arrives in one fetch would read as "infinitely fast").
 * Used the same way for Sluice and for kafkajs.
 */
export class RateAfterFirst {
  private seen = 0;
  private first = 0;
  private started = 0n;
  private ended = 0n;

  constructor(private readonly count: number) {}

  /** Counts `n` records delivered together; true once `count` arrived in all. */
  add(n: number): boolean {
    if (this.started === 0n) {
      this.started = process.hrtime.bigint();
      this.first = n;
    }
    this.seen += n;
    if (this.seen < this.count || this.ended !== 0n) return false;
    this.ended = process.hrtime.bigint();
    return true;
  }

  perSecond(): number {
    return (this.seen - this.first) / (Number(this.ended - this.started) / 1e9);
  }
}
