/** Raw gRPC readers and writers against a Sluice gateway, for the benchmarks (no client library in between). */
import * as grpc from '@grpc/grpc-js';
import { decodeReceiveBatchReply } from '../../src/client/decoding.ts';
import { openDecodedStream, type LiiklusStub } from '../../src/client/wire.ts';
import { connect } from '../../src/client/index.ts';
import { TestClient, type Assignment } from '../../test/support/client.ts';
import { ReadRate } from './kafka.ts';

export type ReceiveMode = 'batch' | 'record';
export type ReceiveFormat = 'BINARY' | 'LIIKLUS_EVENT';

/**
 * Subscribes one member to `topic` and reads every partition until `count`
 * records arrived in all; resolves with records/s from the Receive calls
 * opened (the gateway fetches a partition once its reader starts) to the
 * count-th record (ReadRate).
 */
export async function readThroughSluice(client: TestClient, topic: string, partitions: number, count: number, mode: ReceiveMode, format: ReceiveFormat = 'BINARY'): Promise<number> {
  const subscription = client.subscribe({ topic, group: `bench-${mode}-${Date.now()}` });
  const assignments = await subscription.until((a) => new Set(a.map((x) => x.partition)).size === partitions, 60_000);
  const rate = new ReadRate(count);
  const calls: grpc.ClientReadableStream<unknown>[] = [];
  const perSecond = await new Promise<number>((resolve, reject) => {
    rate.start();
    for (const assignment of latestPerPartition(assignments)) {
      const call = openReceive(client, assignment, mode, format);
      calls.push(call);
      call.on('data', (reply: unknown[] | object) => {
        if (rate.add(Array.isArray(reply) ? reply.length : 1)) resolve(rate.perSecond());
      });
      call.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
    }
  });
  for (const call of calls) call.cancel();
  subscription.cancel();
  return perSecond;
}

/**
 * ReceiveBatch as the Sluice TS client reads it (its hand-written decoder,
 * records as ConsumedRecord); Receive as a Liiklus client does (the generated
 * protobufjs decoder).
 */
export function openReceive(client: TestClient, assignment: Assignment, mode: ReceiveMode, format: ReceiveFormat = 'BINARY'): grpc.ClientReadableStream<unknown> {
  if (mode === 'batch') {
    const request = { request: { assignment, format }, maxRecords: Number(process.env.BENCH_MAX_RECORDS ?? 0), maxBytes: Number(process.env.BENCH_MAX_BYTES ?? 0) };
    return openDecodedStream(client.raw as unknown as LiiklusStub, 'ReceiveBatch', request, (m) => decodeReceiveBatchReply(m, 'bench', assignment.partition));
  }
  const raw = client.raw as unknown as Record<string, (r: object) => grpc.ClientReadableStream<unknown>>;
  return raw.Receive!.call(client.raw, { assignment, format });
}

function latestPerPartition(assignments: Assignment[]): Assignment[] {
  const byPartition = new Map<number, Assignment>();
  for (const a of assignments) byPartition.set(a.partition, a);
  return [...byPartition.values()];
}

/** Reads a partition over Receive until `count` records arrived, keeping none of them. */
export function countRecords(client: TestClient, assignment: Assignment, count: number): Promise<void> {
  const call = (client.raw.Receive as unknown as (r: object) => grpc.ClientReadableStream<unknown>).call(client.raw, { assignment });
  return new Promise((resolve, reject) => {
    let seen = 0;
    call.on('data', () => {
      if (++seen === count) {
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err: { code?: number }) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
  });
}

/**
 * Reads `count` records of `topic` the way an application does with the
 * Sluice TS client: subscribe().each() with its defaults (ReceiveBatch,
 * at-least-once, an ack every 1,000 records); records/s from the first
 * partition assigned (the client opens its Receive at once; the group join
 * before it is left out, as for the direct consumer) to the count-th record.
 */
export async function readWithClient(address: string, topic: string, count: number): Promise<number> {
  const client = connect(address);
  try {
    const subscription = client.subscribe({ topic, group: `bench-client-${Date.now()}` });
    const rate = new ReadRate(count);
    const assigned = subscription.events$.subscribe((event) => {
      if (event.type === 'assigned') rate.start();
    });
    let seen = 0;
    await subscription.each(() => {
      seen++;
      if (rate.add(1)) void subscription.close();
    });
    assigned.unsubscribe();
    if (seen < count) throw new Error(`the subscription ended after ${seen} of ${count} records`);
    return rate.perSecond();
  } finally {
    await client.close();
  }
}

/**
 * Writes `count` records of `value` to `topic` through PublishBatch, 500 per
 * call: a benchmark's setup, outside what it times (unary calls took a
 * minute of a run's setup).
 */
export async function fillTopic(client: TestClient, topic: string, count: number, value: Buffer): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    await client.publishBatch({ records: Array.from({ length: Math.min(500, count - done) }, () => ({ topic, value })) });
  }
}
