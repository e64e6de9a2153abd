/** Raw gRPC readers and writers against a Sluice gateway, for the benchmarks (no client library in between). */
import * as grpc from '@grpc/grpc-js';
import { TestClient, type Assignment } from '../../test/support/client.ts';

export type ReceiveMode = 'batch' | 'record';

/**
 * Subscribes one member to `topic` and reads every partition until `count`
 * records arrived in all; resolves with the seconds from the first record to the last.
 */
export async function readThroughSluice(client: TestClient, topic: string, partitions: number, count: number, mode: ReceiveMode): Promise<number> {
  const subscription = client.subscribe({ topic, group: `bench-${mode}-${Date.now()}` });
  const assignments = await subscription.until((a) => new Set(a.map((x) => x.partition)).size === partitions, 60_000);
  let seen = 0;
  let started = 0n;
  const calls: grpc.ClientReadableStream<unknown>[] = [];
  const progress = setInterval(() => process.env.BENCH_DEBUG && console.error(`read ${seen} of ${count}`), 1000);
  const seconds = await new Promise<number>((resolve, reject) => {
    for (const assignment of latestPerPartition(assignments)) {
      const call = openReceive(client, assignment, mode);
      calls.push(call);
      call.on('data', (reply: { replies?: unknown[] }) => {
        if (started === 0n) started = process.hrtime.bigint();
        seen += mode === 'batch' ? reply.replies!.length : 1;
        if (seen >= count) resolve(Number(process.hrtime.bigint() - started) / 1e9);
      });
      call.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
    }
  });
  clearInterval(progress);
  for (const call of calls) call.cancel();
  subscription.cancel();
  return seconds;
}

export function openReceive(client: TestClient, assignment: Assignment, mode: ReceiveMode): grpc.ClientReadableStream<unknown> {
  const raw = client.raw as unknown as Record<string, (r: object) => grpc.ClientReadableStream<unknown>>;
  return mode === 'batch' ? raw.ReceiveBatch!.call(client.raw, { request: { assignment } }) : raw.Receive!.call(client.raw, { assignment });
}

function latestPerPartition(assignments: Assignment[]): Assignment[] {
  const byPartition = new Map<number, Assignment>();
  for (const a of assignments) byPartition.set(a.partition, a);
  return [...byPartition.values()];
}
