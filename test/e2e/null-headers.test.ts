import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { plainKafka } from '../kafka/helpers.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { runJavaFixture } from '../support/java-producer.ts';
import { uniqueName } from '../support/records.ts';

/**
 * Issue 9, defect 1: a record with a null header value (written by the Java
 * producer; kafkajs cannot write one) made recordSize throw inside kafkajs's
 * eachBatch, which crashed the consumer, failed the Subscribe with INTERNAL
 * and did the same to the next member. It must be delivered; a null value
 * arrives as an empty one (docs/headers.md).
 */
describe('kafka records: records with null header values', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ RECORDS_STORE: 'kafka', KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'), POSITIONS_STORE: 'memory' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('delivers them, and the records after them, without failing the subscription', async () => {
    const topic = uniqueName('null-headers');
    const admin = plainKafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await runJavaFixture('NullHeaderProducer.java', [inject('kafkaBootstrap'), topic, '0']);

    const subscription = gateway.client.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'EARLIEST' });
    try {
      const [assignment] = await subscription.until((a) => a.length === 1);
      const receive = gateway.client.receive({ assignment, format: 'BINARY' });
      const replies = await receive.take(3, 30_000);
      receive.cancel();
      const records = replies.map((r) => r.record!);
      expect(records.map((r) => r.offset)).toEqual(['0', '1', '2']);
      // null and empty both arrive as present, empty values (proto3 bytes cannot be null).
      expect(records[0]!.value.toString()).toBe('with-null-header');
      expect(records[0]!.headers).toEqual({ x: Buffer.alloc(0), y: Buffer.alloc(0) });
      expect(records[1]!.headers).toEqual({ z: Buffer.alloc(0) });
      expect(records[2]!.value.toString()).toBe('after');
      // The subscription is still alive.
      const outcome = await Promise.race([subscription.status, new Promise((resolve) => setTimeout(() => resolve('alive'), 500))]);
      expect(outcome).toBe('alive');
    } finally {
      subscription.cancel();
    }
  });
});
