import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';
import { failure } from '../support/grpc-errors.ts';
import { uniqueName } from '../support/records.ts';


describe('gateway on Kafka when the broker goes down and comes back', () => {
  // A broker of this suite's own: stopping the shared one would disturb other suites.
  let broker: KafkaBrokerHandle;
  let gateway: TestGateway;
  beforeAll(async () => {
    broker = await startKafkaBroker();
    gateway = await startTestGateway({ RECORDS_STORE: 'kafka', KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap, KAFKA_TOPIC_PARTITIONS: '2' });
  }, 180_000);
  afterAll(async () => {
    await gateway?.stop();
    await broker?.destroy();
  });

  it('fails Publish and open streams with UNAVAILABLE, then serves again without a restart', async () => {
    const { client } = gateway;
    const topic = uniqueName('faults');
    const group = uniqueName('g');
    const first = await client.publish({ topic, key: Buffer.from('k'), value: Buffer.from('before') });
    const subscription = client.subscribe({ topic, group });
    const assignments = await subscription.until((a) => a.length === 2, 60_000);
    const stream = client.receive({ assignment: assignments.find((a) => a.partition === first.partition) });
    await stream.take(1, 60_000);

    await broker.stop();
    const published = await failure(client.publish({ topic, key: Buffer.from('k'), value: Buffer.from('during') }));
    expect(published?.code).toBe(status.UNAVAILABLE);
    expect(published?.details).toMatch(/kafka/i);
    const [subscribeStatus, receiveStatus] = await Promise.all([subscription.status, stream.status]);
    expect(subscribeStatus.code).toBe(status.UNAVAILABLE);
    expect([status.UNAVAILABLE, status.OK]).toContain(receiveStatus.code);

    await broker.start();
    let after = null;
    for (let attempt = 0; attempt < 60 && after === null; attempt++) {
      after = await client.publish({ topic, key: Buffer.from('k'), value: Buffer.from('after') }).catch(() => null);
      if (after === null) await new Promise((r) => setTimeout(r, 500));
    }
    expect(after?.partition).toBe(first.partition);

    const again = client.subscribe({ topic, group });
    const reassigned = await again.until((a) => a.length === 2, 60_000);
    const replies = await client.receive({ assignment: reassigned.find((a) => a.partition === first.partition) }).take(2, 60_000);
    expect(replies.map((r) => r.record!.value.toString())).toEqual(['before', 'after']);
    again.cancel();
  }, 240_000);
});
