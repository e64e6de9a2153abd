/**
 * Which Kafka driver the suites run on. KAFKA_DRIVER (and KAFKA_GROUP_PROTOCOL)
 * in the test run's environment pick it for every suite that starts a Kafka
 * store or gateway (default kafkajs, the production default); the suites that
 * CI runs on both drivers iterate over kafkaDrivers() (SLUICE_KAFKA_DRIVERS,
 * default both) or are imported again by test/drivers/platformatic-*.test.ts.
 */
export type KafkaDriverName = 'kafkajs' | 'platformatic';

/** KAFKA_DRIVER / KAFKA_GROUP_PROTOCOL of the test run, as store config keys (empty: the store's defaults). */
export function kafkaDriverConfig(driver: string | undefined = process.env.KAFKA_DRIVER): Record<string, string> {
  const config: Record<string, string> = {};
  if (driver) config.KAFKA_DRIVER = driver;
  // A run on another producer library (KAFKA_PRODUCER_DRIVER) reaches in-process gateways too.
  if (process.env.KAFKA_PRODUCER_DRIVER) config.KAFKA_PRODUCER_DRIVER = process.env.KAFKA_PRODUCER_DRIVER;
  // So is a run with kafkajs's own produce request encoder (KAFKA_KAFKAJS_PRODUCE_ENCODER=kafkajs).
  if (process.env.KAFKA_KAFKAJS_PRODUCE_ENCODER) config.KAFKA_KAFKAJS_PRODUCE_ENCODER = process.env.KAFKA_KAFKAJS_PRODUCE_ENCODER;
  const protocol = process.env.KAFKA_GROUP_PROTOCOL;
  if (protocol && driver === 'platformatic') config.KAFKA_GROUP_PROTOCOL = protocol;
  return config;
}

/** The drivers a per-driver suite runs on. */
export function kafkaDrivers(): KafkaDriverName[] {
  const given = process.env.SLUICE_KAFKA_DRIVERS ?? process.env.KAFKA_DRIVER;
  if (!given) return ['kafkajs', 'platformatic'];
  return given.split(',').map((d) => d.trim()) as KafkaDriverName[];
}
