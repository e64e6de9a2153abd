import kafkajs, { type Kafka as KafkaClient, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from './config.ts';

const { Kafka, logLevel } = kafkajs;

// kafkajs messages that are expected in this store's use and say nothing new.
const QUIET = [
  'Limiting retries for the idempotent producer', // bounded on purpose: a failed producer is replaced (producer.ts)
  'Pausing fetching from', // every backpressure pause
  'Resuming fetching from',
];

/**
 * kafkajs log entries into pino: ERROR and WARN as warn (kafkajs logs every
 * retried request failure as ERROR; the store reports real failures itself),
 * INFO and DEBUG as debug.
 */
function logCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const quiet = QUIET.some((q) => message.startsWith(q));
      const line = { kafkajs: namespace, ...fields };
      if (!quiet && (level === logLevel.ERROR || level === logLevel.WARN)) logger.warn(line, message);
      else logger.debug(line, message);
    };
}

/**
 * A kafkajs client for the configured cluster. Each consumer gets its own:
 * kafkajs shares committed-offset state between the consumers of one client.
 */
export function createKafkaClient(config: KafkaRecordsConfig, logger: Logger, role: string): KafkaClient {
  return new Kafka({
    clientId: `${config.clientId}-${role}`,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: logCreator(logger),
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
  });
}
