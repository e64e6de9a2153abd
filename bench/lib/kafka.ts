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
  const BATCH = 2_000;
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

/** Reads `count` records of `topic` from the beginning with a plain kafkajs consumer (eachBatch); resolves with seconds taken. */
export async function readDirect(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `direct-${topic}-${Date.now()}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0n;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (started === 0n) started = process.hrtime.bigint();
        seen += batch.messages.length;
        if (seen >= count) resolve(Number(process.hrtime.bigint() - started) / 1e9);
      },
    });
  });
  const seconds = await done;
  await consumer.disconnect();
  return seconds;
}
