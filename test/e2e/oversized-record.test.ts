import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { plainKafka } from '../kafka/helpers.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const LIMIT = 65_536;

/**
 * Issue 9: a record larger than GRPC_MAX_MESSAGE_BYTES (written by another
 * Kafka producer) failed every Receive with grpc-js's RESOURCE_EXHAUSTED,
 * forever, naming no record. The stream must end with FAILED_PRECONDITION
 * naming the offset and size, and acking that offset must get past it.
 */
describe('a record larger than GRPC_MAX_MESSAGE_BYTES', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      RECORDS_STORE: 'kafka',
      KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
      POSITIONS_STORE: 'memory',
      GRPC_MAX_MESSAGE_BYTES: String(LIMIT),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('ends the Receive with FAILED_PRECONDITION naming offset and size; acking it gets past it', async () => {
    const topic = uniqueName('oversized');
    const kafka = plainKafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.send({
        topic,
        messages: [{ value: 'small-0' }, { value: Buffer.alloc(2 * LIMIT, 'x') }, { value: 'small-2' }].map((m) => ({ ...m, partition: 0 })),
      });
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
    const group = uniqueName('g');
    const subscription = gateway.client.subscribe({ topic, group });
    try {
      const [assignment] = await subscription.until((a) => a.length === 1);
      const first = gateway.client.receive({ assignment });
      const [reply] = await first.take(1);
      expect(reply!.record!.value.toString()).toBe('small-0');
      const ended = await first.status;
      expect(ended.code).toBe(9); // FAILED_PRECONDITION
      expect(ended.details).toMatch(/offset 1 of partition 0 is about \d+ bytes, more than GRPC_MAX_MESSAGE_BYTES \(65536\)/);
      expect(ended.details).toContain('ack offset 1 to skip it');

      await gateway.client.ack({ topic, group, partition: 0, offset: '1' });
      const second = gateway.client.receive({ assignment });
      const [next] = await second.take(1);
      expect(next!.record!.value.toString()).toBe('small-2');
      second.cancel();
    } finally {
      subscription.cancel();
    }
  });
});
