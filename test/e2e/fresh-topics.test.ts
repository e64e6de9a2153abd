import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { plainKafka } from '../kafka/helpers.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

/**
 * Issue 9 (found with Liiklus's own client): Receive calls at once on a topic
 * created a moment before failed with UNAVAILABLE ("Topic metadata not
 * loaded", "Closed connection"); after a topic was deleted, every Receive on
 * the next new topic failed ("This server does not host this
 * topic-partition"). A fresh topic must work on first use, under concurrency.
 */
describe('kafka: brand-new topics under concurrent use', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      RECORDS_STORE: 'kafka',
      KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
      KAFKA_TOPIC_PARTITIONS: '1',
      POSITIONS_STORE: 'memory',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /**
   * `count` concurrent Subscribe + Receive on `topic`, each in its own group,
   * then one record published: resolves with the flows that failed.
   */
  async function flows(topic: string, count: number): Promise<string[]> {
    const opened = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const subscription = gateway.client.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'EARLIEST' });
        const [assignment] = await subscription.until((a) => a.length === 1, 60_000).catch((err: unknown) => {
          subscription.cancel();
          throw err;
        });
        return { subscription, receive: gateway.client.receive({ assignment }) };
      }),
    );
    await gateway.client.publish({ topic, value: Buffer.from('first') });
    const results = await Promise.allSettled(
      opened.map(async (flow) => {
        if (flow.status === 'rejected') throw flow.reason;
        const { subscription, receive } = flow.value;
        try {
          const [reply] = await receive.take(1, 60_000);
          expect(reply!.record!.value.toString()).toBe('first');
        } finally {
          receive.cancel();
          subscription.cancel();
        }
      }),
    );
    return results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  }

  it('32 flows at once on a topic created a moment before all work', { timeout: 120_000 }, async () => {
    expect(await flows(uniqueName('fresh'), 32)).toEqual([]);
  });

  it('after a topic was deleted while the gateway ran, a new topic works', { timeout: 120_000 }, async () => {
    const old = uniqueName('deleted');
    expect(await flows(old, 2)).toEqual([]);
    const admin = plainKafka().admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [old] });
    } finally {
      await admin.disconnect();
    }
    expect(await flows(uniqueName('after-delete'), 8)).toEqual([]);
  });
});
