import { afterAll } from 'vitest';

/**
 * The gateway's Kafka e2e suites again, on KAFKA_DRIVER=platformatic (the default is kafkajs; issue
 * 13): in-process gateways take the driver from the environment
 * (test/support/gateway.ts), spawned ones inherit it (the two-gateway scale
 * test), so the suites are imported here after setting it, unchanged.
 */
const before = process.env.KAFKA_DRIVER;
process.env.KAFKA_DRIVER = 'platformatic';
afterAll(() => {
  if (before === undefined) delete process.env.KAFKA_DRIVER;
  else process.env.KAFKA_DRIVER = before;
});

await import('../e2e/kafka-redis.test.ts');
await import('../e2e/records-kafka-redis.test.ts');
await import('../e2e/kafka-scale.test.ts');
await import('../e2e/kafka-faults.test.ts');
await import('../e2e/null-headers.test.ts');
await import('../e2e/fresh-topics.test.ts');
