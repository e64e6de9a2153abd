import type { Kafka, Producer } from 'kafkajs';
import type { ProducedRecord, ProducerDriver } from '../../driver.ts';
import { partitionedTopicMessages, recordPartitioner } from './partitioned-messages.ts';

/** kafkajs's idempotent producer, one `sendBatch` per request. */
export class KafkajsProducer implements ProducerDriver {
  private constructor(private readonly producer: Producer) {}

  static async connect(client: Kafka): Promise<KafkajsProducer> {
    const producer = client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Every record has its partition (named so kafkajs does not warn, and cheap: kafkajs's filters the partition list per message).
      createPartitioner: recordPartitioner,
      // Bounded (kafkajs's idempotent default is unbounded: a publish would
      // wait forever for a broker that is down); the store replaces the producer after a failure.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    return new KafkajsProducer(producer);
  }

  async send(records: readonly ProducedRecord[]): Promise<Map<string, bigint>> {
    const results = await this.producer.sendBatch({ acks: -1, topicMessages: partitionedTopicMessages(records) });
    return new Map(results.map((r) => [`${r.topicName}\u0000${r.partition}`, BigInt(r.baseOffset ?? r.offset ?? '-1')]));
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
