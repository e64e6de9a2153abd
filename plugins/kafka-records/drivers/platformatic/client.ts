import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { KafkaRecordsConfig } from '../../config.ts';

/**
 * Retries of one request: 5, backing off from 100 ms to 2 s (as the kafkajs
 * driver's retrier); an unknown topic only briefly: asking whether a topic
 * exists must not take seconds (the store waits for a new topic's leaders itself).
 */
const RETRIES = 5;
const retryDelay = (_client: unknown, _operation: string, attempt: number, _retries: number, error: Error): number =>
  (error as { findBy?: (key: string, value: unknown) => unknown }).findBy?.('apiId', 'UNKNOWN_TOPIC_OR_PARTITION') ? 5 : Math.min(100 * 2 ** attempt, 2_000);

/** @platformatic/kafka client options for the configured cluster, KAFKA_SASL_* and KAFKA_SSL_* included. */
export function clientOptions(config: KafkaRecordsConfig, role: string): BaseOptions {
  const { sasl, ssl } = config;
  return {
    clientId: `${config.clientId}-${role}`,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeoutMs,
    timeout: config.requestTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    retries: RETRIES,
    retryDelay,
    // Metadata is read again when a request says it is stale; otherwise as Java's metadata.max.age.ms.
    metadataMaxAge: 5 * 60_000,
    autocreateTopics: false,
    ...(ssl && {
      tls: {
        rejectUnauthorized: ssl.rejectUnauthorized,
        ...(ssl.ca !== undefined && { ca: [ssl.ca] }),
        ...(ssl.cert !== undefined && { cert: ssl.cert }),
        ...(ssl.key !== undefined && { key: ssl.key }),
      },
    }),
    ...(sasl && {
      sasl: { mechanism: sasl.mechanism.toUpperCase() as SASLOptions['mechanism'], username: sasl.username, password: sasl.password },
    }),
  };
}
