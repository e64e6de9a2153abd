import { afterAll } from 'vitest';

/**
 * The Kafka store suites (test/kafka) again, on KAFKA_DRIVER=platformatic (the default is kafkajs;
 * issue 13): the suites read the driver from the environment when they make
 * a store (test/support/kafka-driver.ts), so they are imported here after
 * setting it, unchanged. The fault scenarios (test/faults) are not repeated in
 * `npm test` (four minutes per driver): `KAFKA_DRIVER=platformatic npm run verify`.
 */
const before = process.env.KAFKA_DRIVER;
process.env.KAFKA_DRIVER = 'platformatic';
afterAll(() => {
  if (before === undefined) delete process.env.KAFKA_DRIVER;
  else process.env.KAFKA_DRIVER = before;
});

await import('../kafka/backpressure.test.ts');
await import('../kafka/groups.test.ts');
await import('../kafka/log-start.test.ts');
await import('../kafka/outage.test.ts');
await import('../kafka/publish.test.ts');
await import('../kafka/watermarks.test.ts');
