import { status } from '@grpc/grpc-js';
import { firstValueFrom, take as takeFirst, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, SluiceClientError, type PartitionStream, type SluiceClient } from '../../src/client/index.ts';
import { uniqueName } from '../support/records.ts';
import { gatewayWithClient, keyFor, Streams, take } from './helpers.ts';

const PARTITIONS = 4;

async function failure(promise: Promise<unknown>): Promise<SluiceClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SluiceClientError);
  return error as SluiceClientError;
}

describe('client API (real gateway, memory stores)', () => {
  const context = gatewayWithClient(PARTITIONS);
  let client: SluiceClient;
  beforeAll(() => ({ client } = context));

  it('publish returns topic, partition and a bigint offset; one key, one partition', async () => {
    const topic = uniqueName('pub');
    const a = await client.publish(topic, 'v1', { key: 'user-7' });
    const b = await client.publish(topic, Buffer.from('v2'), { key: Buffer.from('user-7') });
    expect(a).toEqual({ topic, partition: a.partition, offset: 0n });
    expect(b).toEqual({ topic, partition: a.partition, offset: 1n });
    expect(await client.getEndOffsets(topic)).toEqual(new Map([[a.partition, 1n]]));
  });

  it('records carry key, value, headers, timestamp and replay; events come back with format "event"', async () => {
    const topic = uniqueName('fields');
    const key = keyFor(2, PARTITIONS);
    await client.publish(topic, 'raw', { key, headers: { trace: 'abc' } });
    await client.publish(topic, '{"n":1}', {
      key,
      event: { id: 'e-1', type: 'com.example.made', source: '/test', time: new Date('2026-01-02T03:04:05Z'), dataContentType: 'application/json', extensions: { tenant: 'acme' } },
    });
    const group = uniqueName('g');
    const binary = client.subscribe({ topic, group });
    const [raw, event] = await take(await new Streams(binary).for(2), 2, true);
    expect(raw).toMatchObject({ topic, partition: 2, offset: 0n, replay: false, event: null });
    expect([raw!.key.toString(), raw!.value.toString(), raw!.headers.trace!.toString()]).toEqual([key, 'raw', 'abc']);
    expect(raw!.timestamp!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    // BINARY: an event is its CloudEvents JSON document (as Liiklus; docs/records-on-the-wire.md).
    expect(JSON.parse(event!.value.toString())).toMatchObject({ id: 'e-1', type: 'com.example.made', tenant: 'acme', data: { n: 1 } });
    await binary.close();

    const events = client.subscribe({ topic, group: uniqueName('g'), format: 'event' });
    const stream = await new Streams(events).for(2);
    const failed = take(stream, 2, true);
    // A raw record cannot be shown as an event: the stream fails with the gateway's status.
    const error = await failure(failed);
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    await events.close();
  });

  it('the Observable views: partition streams, and the records of one partition', async () => {
    const topic = uniqueName('rx');
    const key = keyFor(1, PARTITIONS);
    for (const v of ['a', 'b', 'c']) await client.publish(topic, v, { key });
    const group = uniqueName('g');
    const subscription = client.subscribe({ topic, group, ackEvery: { records: 3 } });
    // Unsubscribing from the subscription's Observable would close it: keep it.
    const streams: PartitionStream[] = [];
    await new Promise<void>((resolve) =>
      subscription.asObservable().subscribe((stream) => {
        if (streams.push(stream) === PARTITIONS) resolve();
      }),
    );
    expect(streams.map((s) => s.partition).sort()).toEqual([0, 1, 2, 3]);
    // A record is processed once the subscriber's next() returned; unsubscribing leaves the partition.
    const records = await firstValueFrom(streams.find((s) => s.partition === 1)!.asObservable().pipe(takeFirst(3), toArray()));
    expect(records.map((r) => r.value.toString())).toEqual(['a', 'b', 'c']);
    await subscription.close();
    expect((await client.getOffsets(topic, group)).get(1)).toBe(1n); // c: unsubscribed while it was being delivered
  });

  it('getOffsets and getEndOffsets map partitions to bigint offsets', async () => {
    const topic = uniqueName('offsets');
    const group = uniqueName('g');
    await client.ack(topic, group, 0, 18446744073709551615n);
    await client.ack(topic, group, 3, 7n, 2);
    expect(await client.getOffsets(topic, group)).toEqual(new Map([[0, 18446744073709551615n]]));
    expect(await client.getOffsets(topic, group, 2)).toEqual(new Map([[3, 7n]]));
    expect(await client.getEndOffsets(topic)).toEqual(new Map());
  });

  it('errors are SluiceClientError with the gRPC code and the details naming the field', async () => {
    const bad = await failure(client.publish('has space', 'x'));
    expect([bad.code, bad.codeName, bad.operation]).toEqual([status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'Publish']);
    expect(bad.details).toMatch(/^topic: /);
    expect(bad.message).toMatch(/^Publish failed: INVALID_ARGUMENT: topic: /);

    const subscription = client.subscribe({ topic: 'fine', group: '' });
    const iterate = async () => {
      for await (const _ of subscription) throw new Error('no partition expected');
    };
    const refused = await failure(iterate());
    expect([refused.code, refused.operation]).toEqual([status.INVALID_ARGUMENT, 'Subscribe']);
    expect(refused.details).toMatch(/^group: /);

    const nowhere = connect('127.0.0.1:1');
    const unreachable = await failure(nowhere.getEndOffsets('t'));
    expect(unreachable.unavailable).toBe(true);
    await expect(nowhere.waitForReady(200)).rejects.toThrow(/cannot reach the gateway at 127.0.0.1:1/);
    await nowhere.close();
  });
});
