import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/kafka-broker.mjs';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';
import { uniqueName } from '../support/records.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { expectGuarantees } from './expect.ts';
import { gatewayEnv, GatewayPool } from './support/cluster.ts';
import type { Delivery } from './support/consumer.ts';
import { PARTITIONS } from './support/producer.ts';
import { sleep } from './support/rpc.ts';
import { Toxiproxy, type Proxy } from './support/toxiproxy.ts';
import { LONG, SCALE, until, verify } from './support/verifier.ts';

/**
 * Networks cut and restored through Toxiproxy on loopback: between the
 * gateway and the broker, between the gateway and Redis, and between a
 * consumer and the gateway (a client that vanishes without a cancel).
 */
describe('fault suite: network cut and restored (Toxiproxy, Kafka + Redis)', () => {
  let toxiproxy: Toxiproxy;
  let broker: KafkaBrokerHandle;
  let redis: RedisServerHandle;
  let kafkaLink: Proxy;
  let redisLink: Proxy;
  const pool = new GatewayPool(() => gatewayEnv(kafkaLink.listen, `redis://${redisLink.listen}`));
  const logs = pool.logs;
  const cutFor = LONG ? 15_000 : 8_000;

  beforeAll(async () => {
    toxiproxy = await Toxiproxy.start();
    // The broker advertises the proxy's address, so every connection the gateway opens to it goes through the proxy.
    const kafkaPort = await freePort();
    kafkaLink = await toxiproxy.proxy('kafka', `127.0.0.1:${kafkaPort}`);
    [broker, redis] = await Promise.all([
      startKafkaBroker({ port: kafkaPort, properties: { 'advertised.listeners': `PLAINTEXT://${kafkaLink.listen}` } }),
      startRedisServer({ persistence: true }),
    ]);
    redisLink = await toxiproxy.proxy('redis', `127.0.0.1:${redis.port}`);
  }, 180_000);
  afterEach(() => pool.stopAll());
  afterAll(async () => {
    await Promise.all([broker?.destroy(), redis?.destroy()]);
    await toxiproxy?.stop();
  });

  const gateway = (extra: Record<string, string> = {}) => pool.start(extra);

  for (let round = 1; round <= SCALE.rounds; round++) {
    const suffix = SCALE.rounds > 1 ? ` (round ${round})` : '';

    it(`gateway ↔ broker network cut, then restored${suffix}`, async () => {
      const node = await gateway();
      const result = await verify({
        scenario: 'network gateway ↔ Kafka cut + restored',
        topic: uniqueName('f-netk'),
        group: uniqueName('g'),
        addresses: [node.address],
        settleMs: 120_000,
        fault: async () => {
          await kafkaLink.cut();
          await sleep(cutFor);
          await kafkaLink.restore();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
    }, 300_000);

    it(`gateway ↔ Redis network cut while acks flow, then restored${suffix}`, async () => {
      const node = await gateway();
      const result = await verify({
        scenario: 'network gateway ↔ Redis cut + restored',
        topic: uniqueName('f-netr'),
        group: uniqueName('g'),
        addresses: [node.address],
        ackEvery: 5,
        fault: async () => {
          await redisLink.cut();
          await sleep(cutFor);
          await redisLink.restore();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
      expect(result.acksFailed, 'acks failed while Redis was unreachable').toBeGreaterThan(0);
    }, 300_000);

    it(`a consumer whose connection drops without a cancel: its partitions go to the other member${suffix}`, async () => {
      // Keepalive pings every 2 s: a client that stops answering is dropped within about 3 s.
      const node = await gateway({ GRPC_KEEPALIVE_TIME_MS: '2000', GRPC_KEEPALIVE_TIMEOUT_MS: '1000' });
      const clientLink = await toxiproxy.proxy(uniqueName('client'), node.address);
      let delivered: readonly Delivery[] = [];
      let cutWindow = [0, 0];
      const result = await verify({
        scenario: 'consumer connection dropped without cancel',
        topic: uniqueName('f-netc'),
        group: uniqueName('g'),
        addresses: [node.address],
        memberAddresses: (id) => [id === 0 ? clientLink.listen : node.address],
        fault: async ({ deliveries }) => {
          delivered = deliveries;
          // The member behind the proxy owns partitions and reads them before the cut.
          await until(() => deliveries.some((d) => d.member === 0), 30_000, 'the member behind the proxy reading');
          const cutAt = performance.now();
          await clientLink.cut();
          await sleep(cutFor);
          cutWindow = [cutAt + 1_000, performance.now()];
          await clientLink.restore();
          // Measured from the cut: the other member takes over while the link is still down.
          return cutAt;
        },
      });
      expectGuarantees(result, logs);
      // The cut is real: nothing reached the member behind the proxy while it lasted.
      expect(delivered.filter((d) => d.member === 0 && d.at > cutWindow[0]! && d.at < cutWindow[1]!).length).toBe(0);
      const takenOver = new Set(delivered.filter((d) => d.member === 1).map((d) => d.partition));
      expect(takenOver.size, 'the other member read every partition').toBe(PARTITIONS);
    }, 300_000);
  }
});
