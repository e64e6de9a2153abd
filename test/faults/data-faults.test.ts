import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { plainKafka } from '../kafka/helpers.ts';
import { runJavaFixture } from '../support/java-producer.ts';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';
import { uniqueName } from '../support/records.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { expectGuarantees } from './expect.ts';
import { gatewayEnv, GatewayPool } from './support/cluster.ts';
import type { Delivery } from './support/consumer.ts';
import { laneKey, PARTITIONS } from './support/producer.ts';
import { connect, unary } from './support/rpc.ts';
import { SCALE, until, verify } from './support/verifier.ts';

const MiB = 1024 * 1024;
/** Partitions the Java producer writes null-header records to (one JVM each: two keep the run short). */
const JAVA_PARTITIONS = [0, 1];

/**
 * Records of every shape, and records deleted under a lagging reader. The
 * file's own broker (accepting 1 MiB values) and redis-server.
 */
describe('fault suite: record shapes and retention (Kafka + Redis)', () => {
  let broker: KafkaBrokerHandle;
  let redis: RedisServerHandle;
  const pool = new GatewayPool(() => gatewayEnv(broker.bootstrap, redis.url));
  const logs = pool.logs;
  const gateway = (extra: Record<string, string> = {}) => pool.start(extra);

  beforeAll(async () => {
    [broker, redis] = await Promise.all([
      startKafkaBroker({ properties: { 'message.max.bytes': String(4 * MiB), 'replica.fetch.max.bytes': String(4 * MiB) } }),
      startRedisServer({ persistence: true }),
    ]);
  }, 180_000);
  afterEach(() => pool.stopAll());
  afterAll(async () => {
    await Promise.all([broker?.destroy(), redis?.destroy()]);
  });

  for (let round = 1; round <= SCALE.rounds; round++) {
    const suffix = SCALE.rounds > 1 ? ` (round ${round})` : '';

    it(`null header values (Java producer), empty keys and values, 1 MiB values, through a gateway SIGKILL${suffix}`, async () => {
      const node = await gateway();
      const topic = uniqueName('f-shapes');
      let delivered: readonly Delivery[] = [];
      const result = await verify({
        scenario: 'null headers, empty keys/values, 1 MiB values + gateway SIGKILL',
        topic,
        group: uniqueName('g'),
        addresses: [node.address],
        producer: {
          record: (lane, seq) => {
            // Lane 0: no key, empty value (spread over partitions). Lane 1: every 5th value 1 MiB. The rest: numbered.
            if (lane === 0) return { key: Buffer.alloc(0), value: Buffer.alloc(0) };
            if (lane === 1 && seq % 5 === 0) return { key: Buffer.from(laneKey(1)), value: Buffer.alloc(MiB, seq % 251) };
            return { key: Buffer.from(laneKey(lane)), value: Buffer.from(`${laneKey(lane)}:${seq}`), headers: { h: Buffer.alloc(0) } };
          },
        },
        fault: async ({ deliveries }) => {
          delivered = deliveries;
          // Kafka records with null header values (kafkajs cannot write them), in every partition, mid-stream.
          await Promise.all(JAVA_PARTITIONS.map((partition) => runJavaFixture('NullHeaderProducer.java', [broker.bootstrap, topic, String(partition)])));
          await until(() => deliveries.filter((d) => d.value.toString() === 'after').length >= JAVA_PARTITIONS.length, 60_000, 'the Java producer records delivered');
          await node.kill();
          await node.start();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
      // The Java producer's records are not in `published`: each partition got its three, delivered.
      // The CloudEvent arrives, read as BINARY, as its data or (as Liiklus does) as a structured-mode JSON document.
      const javaRecords: Array<[string, (value: string) => boolean]> = [
        ['with-null-header', (v) => v === 'with-null-header'],
        ['event-data', (v) => v === 'event-data' || v.includes('"e-1"')],
        ['after', (v) => v === 'after'],
      ];
      for (const [name, matches] of javaRecords) {
        const partitions = new Set(delivered.filter((d) => matches(d.value.toString())).map((d) => d.partition));
        expect([...partitions].sort(), name).toEqual(JAVA_PARTITIONS);
      }
    }, 300_000);

    it(`retention deletes records under a lagging LATEST group: it goes on at the log start${suffix}`, async () => {
      // A small read-ahead, released quickly, and small fetches: the stalled reader's next fetch falls
      // below the log start. A stalled Receive handler keeps the batch it took (at most the read-ahead
      // plus one fetch); with the default 4 MiB fetch that was up to 512 of these 8 KiB records, more
      // than the UNDELIVERED margin below, and the deletion then sometimes removed only records
      // already on their way (the check of deleted records failed about one run in six). The
      // read-ahead grows with a fast reader's rate (up to KAFKA_PARTITION_BUFFER_MAX_BYTES, 16 MiB by
      // default), and this scenario means a small one, so it may not grow here.
      const node = await gateway({
        KAFKA_PARTITION_BUFFER_RECORDS: '5',
        KAFKA_PARTITION_BUFFER_BYTES: '16384',
        KAFKA_PARTITION_BUFFER_MAX_BYTES: '16384',
        KAFKA_PARTITION_BUFFER_RELEASE_MS: '100',
        KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '16384',
      });
      const topic = uniqueName('f-retention');
      const group = uniqueName('g');
      const client = connect(node.address);
      const logStart = new Map<number, bigint>();
      try {
        // The group acks once on every partition first, so LATEST does not race the first records.
        const warm = new Map<number, bigint>();
        for (let i = 0; warm.size < PARTITIONS && i < 200; i++) {
          const reply = await unary<{ partition: number; offset: string }>(client, 'Publish', { topic, key: Buffer.from(`warm-${i}`), value: Buffer.from('warm') }, 10_000);
          warm.set(reply.partition, BigInt(reply.offset));
        }
        for (const [partition, offset] of warm) await unary(client, 'Ack', { topic, group, partition, offset: offset.toString() }, 10_000);

        const admin = plainKafka(broker.bootstrap).admin();
        await admin.connect();
        try {
          const result = await verify({
            scenario: 'retention under a lagging LATEST group',
            topic,
            group,
            autoOffsetReset: 'LATEST',
            addresses: [node.address],
            // 8 KiB values: a paused client's HTTP/2 window holds only a few.
            producer: { record: (lane, seq) => ({ key: Buffer.from(laneKey(lane)), value: Buffer.concat([Buffer.from(`${laneKey(lane)}:${seq}:`), Buffer.alloc(8192, 120)]) }) },
            faultAfter: SCALE.keys * 5,
            fault: async ({ members, producer, deliveries }) => {
              members.forEach((m) => m.pause());
              // Records pile up past what the stalled path holds (the gateway's read-ahead, grpc-js's
              // buffer, the HTTP/2 window: a few dozen per partition): every partition written to
              // during the stall gets at least UNDELIVERED records beyond the last one delivered, so the
              // deletion below removes records nobody received (a fixed count was not always enough).
              const UNDELIVERED = 60;
              const behind = () => {
                const delivered = new Map<number, bigint>();
                for (const d of deliveries) if (d.offset > (delivered.get(d.partition) ?? -1n)) delivered.set(d.partition, d.offset);
                const written = new Map<number, bigint>();
                for (const p of producer.published) if (p.offset > (written.get(p.partition) ?? -1n)) written.set(p.partition, p.offset);
                return [...written].every(([partition, last]) => last - (delivered.get(partition) ?? -1n) >= UNDELIVERED);
              };
              await until(behind, 120_000, `${UNDELIVERED} records past the last delivered one on every partition while the readers stall`);
              // Give the gateway time to release its read-ahead of the stalled partitions.
              await new Promise((r) => setTimeout(r, 1_000));
              const ends = await unary<{ offsets: Record<string, string> }>(client, 'GetEndOffsets', { topic }, 10_000);
              const partitions = Object.entries(ends.offsets)
                .filter(([, last]) => BigInt(last) > 10n)
                .map(([partition, last]) => ({ partition: Number(partition), offset: String(BigInt(last) - 2n) }));
              await admin.fetchTopicMetadata({ topics: [topic] });
              await admin.deleteTopicRecords({ topic, partitions });
              // The log start as the broker now has it: what the group must go on from.
              for (const { partition, low } of await admin.fetchTopicOffsets(topic)) logStart.set(partition, BigInt(low));
              if (process.env.FAULTS_DEBUG) console.log('deleted below', partitions, 'log start now', logStart, 'delivered so far', deliveries.length);
              members.forEach((m) => m.resume());
              return performance.now();
            },
            logStart: async () => logStart,
          });
          expectGuarantees(result, logs);
          expect(result.deleted, 'records were deleted under the stalled readers').toBeGreaterThan(0);
        } finally {
          await admin.disconnect();
        }
      } finally {
        client.close();
      }
    }, 300_000);
  }
});
