import { HOW_TO, startKafkaBroker as start, type KafkaBrokerHandle, type KafkaBrokerOptions } from '../../scripts/kafka-broker.mjs';

/**
 * Provisioning of a real Apache Kafka broker (KRaft, single node) for tests
 * and benchmarks, from the jars on Maven Central (scripts/kafka-broker.mjs,
 * the same code as `npm run kafka:start`). Nothing here ever stops a broker it
 * did not start.
 */

export type { KafkaBrokerHandle, KafkaBrokerOptions };

/**
 * Starts an own broker on free ports in a temp dir (unless `port` / `dir` are
 * given) and resolves once it serves clients and consumer groups. The handle
 * restarts it on the same ports and data (start), stops (stop), kills (kill)
 * and freezes (pause/resume) it, for fault tests.
 */
export function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBrokerHandle> {
  return start(options);
}

/**
 * The broker tests share: KAFKA_BOOTSTRAP_SERVERS when set (stop() then does
 * nothing), else one started here. Throws, loudly, when neither works: tests
 * are never skipped for want of Kafka.
 */
export async function ensureKafka(): Promise<{ bootstrap: string; stop(): Promise<void> }> {
  const given = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (given) return { bootstrap: given, stop: async () => undefined };
  let broker: KafkaBrokerHandle;
  try {
    broker = await start({ log: process.env.SLUICE_KAFKA_VERBOSE ? (m) => console.error(`[kafka] ${m}`) : undefined });
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(`No Kafka broker for the tests: ${message}${message.includes(HOW_TO) ? '' : `\n${HOW_TO}`}`, { cause: err });
  }
  return { bootstrap: broker.bootstrap, stop: () => broker.destroy() };
}
