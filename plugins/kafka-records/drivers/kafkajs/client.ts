import kafkajs, { type Kafka as KafkaClient, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from '../../config.ts';
import { responseSocketFactory } from './response-socket.ts';

const { Kafka, logLevel } = kafkajs;

/**
 * kafkajs log entries into pino, at debug: kafkajs logs every retried
 * request and every backpressure pause (at ERROR and INFO), which would flood
 * the log during an outage. The store logs what matters itself (a failed
 * subscription, publishing failing and recovering).
 */
function logCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      logger.debug({ kafkajs: namespace, kafkajsLevel: logLevel[level], ...fields }, message);
    };
}

/**
 * A kafkajs client for the configured cluster. Each consumer gets its own:
 * kafkajs shares committed-offset state between the consumers of one client.
 * With `readWholeResponses`, a plaintext connection without SASL reads each
 * response into one buffer (response-socket.ts).
 */
export function createKafkaClient(config: KafkaRecordsConfig, logger: Logger, role: string, readWholeResponses = false): KafkaClient {
  return new Kafka({
    clientId: `${config.clientId}-${role}`,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.NOTHING,
    logCreator: logCreator(logger),
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    ...securityOptions(config),
    ...(readWholeResponses && !config.sasl && !config.ssl && { socketFactory: responseSocketFactory() }),
  });
}

/** KAFKA_SASL_* and KAFKA_SSL_* as kafkajs options (ssl: Node's tls.connect options). */
export function securityOptions(config: Pick<KafkaRecordsConfig, 'sasl' | 'ssl'>): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const { sasl, ssl } = config;
  return {
    ...(ssl && {
      ssl: {
        rejectUnauthorized: ssl.rejectUnauthorized,
        ...(ssl.ca !== undefined && { ca: [ssl.ca] }),
        ...(ssl.cert !== undefined && { cert: ssl.cert }),
        ...(ssl.key !== undefined && { key: ssl.key }),
      },
    }),
    ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as KafkaConfig['sasl'] }),
  };
}
