import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';
import { uniqueName } from '../support/records.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { expectGuarantees } from './expect.ts';
import { gatewayEnv, GatewayPool } from './support/cluster.ts';
import { sleep } from './support/rpc.ts';
import { SCALE, verify } from './support/verifier.ts';

/**
 * Processes killed under load: the gateway, one of two gateways, Redis, the
 * broker. The file's own broker and redis-server (never the shared ones),
 * fresh gateways per scenario.
 */
describe('fault suite: processes killed and restarted under load (Kafka + Redis)', () => {
  let broker: KafkaBrokerHandle;
  let redis: RedisServerHandle;
  const pool = new GatewayPool(() => gatewayEnv(broker.bootstrap, redis.url));
  const logs = pool.logs;
  const gateway = (extra: Record<string, string> = {}) => pool.start(extra);

  beforeAll(async () => {
    [broker, redis] = await Promise.all([startKafkaBroker(), startRedisServer({ persistence: true })]);
  }, 180_000);
  afterEach(() => pool.stopAll());
  afterAll(async () => {
    await Promise.all([broker?.destroy(), redis?.destroy()]);
  });

  for (let round = 1; round <= SCALE.rounds; round++) {
    const suffix = SCALE.rounds > 1 ? ` (round ${round})` : '';

    it(`gateway SIGKILL mid-stream, then restarted${suffix}`, async () => {
      const node = await gateway();
      const result = await verify({
        scenario: 'gateway SIGKILL + restart',
        topic: uniqueName('f-kill'),
        group: uniqueName('g'),
        addresses: [node.address],
        fault: async () => {
          await node.kill();
          await node.start();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
    }, 180_000);

    it(`one of two gateways SIGKILLed: the other takes its partitions over${suffix}`, async () => {
      const [a, b] = [await gateway(), await gateway()];
      const result = await verify({
        scenario: 'one of two gateways SIGKILL',
        topic: uniqueName('f-two'),
        group: uniqueName('g'),
        addresses: [a!.address, b!.address],
        fault: async () => {
          await a!.kill();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
    }, 180_000);

    it(`SIGTERM of one of two gateways under load: clean exit, the other takes over${suffix}`, async () => {
      const [a, b] = [await gateway(), await gateway()];
      let exit: number | string = 'not stopped';
      const result = await verify({
        scenario: 'SIGTERM under load',
        topic: uniqueName('f-term'),
        group: uniqueName('g'),
        addresses: [a!.address, b!.address],
        fault: async () => {
          exit = await a!.terminate();
          return performance.now();
        },
      });
      expect(exit, logs()).toBe(0);
      expectGuarantees(result, logs);
    }, 180_000);

    it(`redis-server SIGKILL and restart while acks flow${suffix}`, async () => {
      const node = await gateway();
      const result = await verify({
        scenario: 'redis-server SIGKILL + restart',
        topic: uniqueName('f-redis'),
        group: uniqueName('g'),
        addresses: [node.address],
        ackEvery: 5,
        fault: async () => {
          await redis.kill();
          // Down long enough for acks (every 5 records) to fail against it.
          await sleep(2_000);
          await redis.start();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
      expect(result.acksFailed, 'acks failed while Redis was unreachable').toBeGreaterThan(0);
    }, 180_000);

    it(`broker SIGKILL and restart while streams are open${suffix}`, async () => {
      const node = await gateway();
      const result = await verify({
        scenario: 'Kafka broker SIGKILL + restart',
        topic: uniqueName('f-broker'),
        group: uniqueName('g'),
        addresses: [node.address],
        settleMs: 120_000,
        fault: async () => {
          await broker.kill();
          await broker.start();
          return performance.now();
        },
      });
      expectGuarantees(result, logs);
    }, 300_000);
  }
});
