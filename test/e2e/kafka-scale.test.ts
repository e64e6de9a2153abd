import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { heldPartitions } from '../support/assignments.ts';
import { TestClient, type Assignment, type SubscribeStream } from '../support/client.ts';
import { spawnGateway, type GatewayProcess } from '../support/process.ts';
import { uniqueName } from '../support/records.ts';

const PARTITIONS = 4;
const ALL = [0, 1, 2, 3];

/** Waits until `check` returns a value, probing at most `attempts` times (each probe itself waits). */
async function eventually<T>(check: () => Promise<T | undefined>, attempts = 60): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const result = await check();
    if (result !== undefined) return result;
  }
  throw new Error('condition never held');
}

/** Reads a partition until `count` records arrived, acks the last one, returns the values. */
async function consume(client: TestClient, topic: string, group: string, assignment: Assignment, count: number): Promise<string[]> {
  if (count === 0) return [];
  const stream = client.receive({ assignment });
  const replies = await stream.take(count);
  stream.cancel();
  await client.ack({ topic, group, partition: assignment.partition, offset: replies.at(-1)!.record!.offset });
  return replies.map((r) => r.record!.value.toString());
}

const latestAssignment = (subscription: SubscribeStream, partition: number) => subscription.assignments.filter((a) => a.partition === partition).at(-1)!;

describe('two gateways share a consumer group through Kafka', () => {
  const gateways: GatewayProcess[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    const env = {
      RECORDS_STORE: 'kafka',
      KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      POSITIONS_STORE: 'redis',
      REDIS_URL: inject('redisUrl'),
    };
    gateways.push(...(await Promise.all([spawnGateway(env), spawnGateway(env)])));
    clients.push(...gateways.map((g) => new TestClient(g.address)));
  }, 120_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    for (const g of gateways) {
      g.child.kill('SIGTERM');
      await g.exited;
    }
  });

  it('splits the partitions between them, and when one stops the other takes all with no record lost', async () => {
    const [a, b] = clients as [TestClient, TestClient];
    const topic = uniqueName('scale');
    const group = uniqueName('g');
    const perPartition = new Map<number, string[]>();
    const publish = async (client: TestClient, prefix: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const value = `${prefix}-${i}`;
        const { partition } = await client.publish({ topic, key: Buffer.from(`key-${i}`), value: Buffer.from(value) });
        perPartition.set(partition, [...(perPartition.get(partition) ?? []), value]);
      }
    };
    await publish(a, 'before', 40);

    const memberA = a.subscribe({ topic, group });
    await memberA.until((x) => x.length > 0, 60_000);
    const memberB = b.subscribe({ topic, group });
    await memberB.until((x) => x.length > 0, 60_000);
    const [heldA, heldB] = await eventually(async () => {
      const held = [await heldPartitions(a, memberA, 1000), await heldPartitions(b, memberB, 1000)];
      return held[0]!.length > 0 && held[1]!.length > 0 && held[0]!.length + held[1]!.length === PARTITIONS ? held : undefined;
    });
    expect(heldA!.filter((p) => heldB!.includes(p))).toEqual([]);
    expect([...heldA!, ...heldB!].sort()).toEqual(ALL);

    // Each gateway's member consumes and acks its own partitions.
    const seen: string[] = [];
    for (const partition of heldA!) seen.push(...(await consume(a, topic, group, latestAssignment(memberA, partition), perPartition.get(partition)?.length ?? 0)));
    for (const partition of heldB!) seen.push(...(await consume(b, topic, group, latestAssignment(memberB, partition), perPartition.get(partition)?.length ?? 0)));
    expect(seen.sort()).toEqual([...perPartition.values()].flat().sort());

    // Stop gateway B: its member leaves, A is given every partition.
    const before = new Map([...perPartition].map(([p, v]) => [p, v.length]));
    const assignedBefore = memberA.assignments.length;
    const stoppedAt = Date.now();
    gateways[1]!.child.kill('SIGTERM');
    expect(await gateways[1]!.exited).toBe(0);
    // B's partitions are newly assigned to A (A's own may stay assigned without interruption).
    await memberA.until((x) => heldB!.every((p) => x.slice(assignedBefore).some((y) => y.partition === p)), 60_000);
    console.info(`rebalance after a gateway stopped: B's partitions assigned to A ${Date.now() - stoppedAt} ms after SIGTERM`);
    expect(await eventually(async () => ((await heldPartitions(a, memberA, 1000)).length === PARTITIONS ? true : undefined))).toBe(true);

    await publish(a, 'after', 20);
    // A resumes every partition at the acked position + 1: exactly the new records.
    const resumed: string[] = [];
    for (const partition of ALL) {
      const fresh = (perPartition.get(partition) ?? []).slice(before.get(partition) ?? 0);
      resumed.push(...(await consume(a, topic, group, latestAssignment(memberA, partition), fresh.length)));
    }
    expect(resumed.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `after-${i}`).sort());
    memberA.cancel();
  }, 180_000);
});
