/** End-to-end latency publish → receive, through Sluice (ReceiveBatch) and a direct kafkajs consumer, side by side on one topic. */
import type * as grpc from '@grpc/grpc-js';
import type { Kafka } from 'kafkajs';
import type { TestClient } from '../../test/support/client.ts';
import { openReceive } from './sluice.ts';

export interface Percentiles {
  p50: number;
  p99: number;
  'p99.9': number;
  count: number;
}

const now = () => performance.timeOrigin + performance.now();

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), 'p99.9': at(0.999), count: sorted.length };
}

/** Publishes `rate` records/s for `seconds` (a timestamp in each value) with kafkajs; both readers record now − timestamp. */
export async function latencyRun(kafka: Kafka, client: TestClient, rate: number, seconds: number): Promise<{ sluice: Percentiles; direct: Percentiles }> {
  const topic = `bench-latency-${rate}-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const total = rate * seconds;
  const sluiceSamples: number[] = [];
  const directSamples: number[] = [];
  const stamp = (value: Buffer) => now() - value.readDoubleLE(0);

  // Sluice: one member, a ReceiveBatch stream per partition.
  const subscription = client.subscribe({ topic, group: `latency-${Date.now()}` });
  const assignments = await subscription.until((a) => new Set(a.map((x) => x.partition)).size === 4, 60_000);
  const calls: grpc.ClientReadableStream<unknown>[] = [];
  for (const assignment of assignments.slice(-4)) {
    const call = openReceive(client, assignment, 'batch');
    call.on('data', (records: Array<{ value: Buffer }>) => {
      for (const r of records) sluiceSamples.push(stamp(r.value));
    });
    call.on('error', () => undefined);
    calls.push(call);
  }
  // Direct: a kafkajs consumer on the same topic.
  const consumer = kafka.consumer({ groupId: `latency-direct-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({ eachBatch: async ({ batch }) => void batch.messages.forEach((m) => directSamples.push(stamp(m.value!))) });
  await joined;
  // Both sides are fetching: let the first idle fetches settle.
  await new Promise((r) => setTimeout(r, 1_000));

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const TICK_MS = 10;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const started = now();
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate) + perTick);
    const messages = [];
    for (; sent < due; sent++) {
      const value = Buffer.alloc(100);
      value.writeDoubleLE(now(), 0);
      messages.push({ value, partition: i++ % 4 });
    }
    if (messages.length > 0) await producer.send({ topic, acks: 1, messages });
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const deadline = Date.now() + 30_000;
  while ((sluiceSamples.length < total || directSamples.length < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await producer.disconnect();
  await consumer.disconnect();
  for (const call of calls) call.cancel();
  subscription.cancel();
  return { sluice: percentiles(sluiceSamples), direct: percentiles(directSamples) };
}
