import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';

describe("Kafka's internal topics (__ names) over gRPC", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ INTERNAL_TOPICS_ALLOWED: '__allowed.*' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('are refused by every RPC with INVALID_ARGUMENT naming the field', async () => {
    const { client } = gateway;
    const calls = {
      Publish: client.publish({ topic: '__consumer_offsets', value: Buffer.from('x') }),
      Ack: client.ack({ topic: '__transaction_state', group: 'g', partition: 0, offset: '1' }),
      GetOffsets: client.getOffsets({ topic: '__consumer_offsets', group: 'g' }),
      GetEndOffsets: client.getEndOffsets({ topic: '__consumer_offsets' }),
    };
    for (const [rpc, call] of Object.entries(calls)) {
      const err = await failure(call);
      expect(err?.code, rpc).toBe(status.INVALID_ARGUMENT);
      expect(err?.details, rpc).toMatch(/^topic: "__\w+" is an internal topic/);
    }
    const subscribe = client.subscribe({ topic: '__consumer_offsets', group: 'g' });
    const ended = await subscribe.status;
    expect(ended.code).toBe(status.INVALID_ARGUMENT);
    expect(ended.details).toContain('topic: "__consumer_offsets" is an internal topic');
  });

  it('are served when an operator allows their pattern', async () => {
    const published = await gateway.client.publish({ topic: '__allowed.audit', value: Buffer.from('x') });
    expect(published.topic).toBe('__allowed.audit');
    expect((await failure(gateway.client.publish({ topic: '__allowedx', value: Buffer.from('x') })))?.code).toBe(status.INVALID_ARGUMENT);
  });
});
