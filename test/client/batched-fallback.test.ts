import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type PartitionStream, type SluiceClient } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

/** Publishes 30 records with publishBatch, then reads them back through one subscription; returns the wires used. */
async function roundTrip(client: SluiceClient): Promise<{ wires: Set<string>; values: string[] }> {
  const topic = uniqueName('fallback');
  const results = await client.publishBatch(Array.from({ length: 30 }, (_, i) => ({ topic, value: `v${i}`, key: 'one' })));
  expect(results.map((r) => r.offset)).toEqual(results.map((_, i) => BigInt(i)));
  expect(new Set(results.map((r) => r.partition)).size).toBe(1);
  const subscription = client.subscribe({ topic, group: uniqueName('g') });
  const wires = new Set<string>();
  const values: string[] = [];
  for await (const partition of subscription) {
    if (partition.partition !== results[0]!.partition) continue;
    await readInto(partition, values, 30);
    wires.add(partition.wire);
    break;
  }
  await subscription.close();
  return { wires, values };
}

async function readInto(partition: PartitionStream, values: string[], count: number): Promise<void> {
  for await (const record of partition) {
    values.push(Buffer.from(record.value).toString());
    if (values.length === count) return;
  }
}

describe('client: batched RPCs by default, Publish/Receive on a gateway without them', () => {
  let batched: TestGateway;
  let plain: TestGateway;
  beforeAll(async () => {
    [batched, plain] = await Promise.all([
      startTestGateway({ MEMORY_PARTITIONS: '2' }),
      startTestGateway({ MEMORY_PARTITIONS: '2', GRPC_BATCHED_RPCS: 'false' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([batched?.stop(), plain?.stop()]);
  });

  it('a gateway with GRPC_BATCHED_RPCS=false answers the batched RPCs UNIMPLEMENTED, as Liiklus would', async () => {
    const err = await plain.client.publishBatch({ records: [{ topic: 't', value: Buffer.from('x') }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.UNIMPLEMENTED });
    const st = await plain.client.receiveBatch({ request: { assignment: { sessionId: 's', partition: 0 } } }).status;
    expect(st.code).toBe(status.UNIMPLEMENTED);
  });

  it('uses ReceiveBatch and PublishBatch where served', async () => {
    const client = connect(batched.address);
    try {
      const { wires, values } = await roundTrip(client);
      expect(wires).toEqual(new Set(['ReceiveBatch']));
      expect(values).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`));
    } finally {
      await client.close();
    }
  });

  it('falls back to Receive and Publish, with the same records in the same order', async () => {
    const client = connect(plain.address);
    try {
      const { wires, values } = await roundTrip(client);
      expect(wires).toEqual(new Set(['Receive']));
      expect(values).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`));
    } finally {
      await client.close();
    }
  });
});
