import { InvalidArgumentError, isSluiceError, SluiceError, UnavailableError } from '../../src/contracts/index.ts';

interface KafkaJSErrorLike {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
}

/** kafkajs error names that mean "the cluster cannot be reached or answered in time". */
const TRANSIENT = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNotImplemented',
]);

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

function rootCause(err: KafkaJSErrorLike): KafkaJSErrorLike {
  let current = err;
  for (let i = 0; i < 10 && current.cause && typeof current.cause === 'object'; i++) current = current.cause as KafkaJSErrorLike;
  return current;
}

/** The kafkajs protocol error type (e.g. UNKNOWN_TOPIC_OR_PARTITION) of `err` or its causes. */
export function kafkaErrorType(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  let current = err as KafkaJSErrorLike;
  for (let i = 0; i < 10; i++) {
    if (current.type) return current.type;
    if (!current.cause || typeof current.cause !== 'object') return undefined;
    current = current.cause as KafkaJSErrorLike;
  }
  return undefined;
}

/**
 * A kafkajs failure as the store's typed error: transient failures (broker
 * down, timeouts, retries exhausted, retriable protocol errors) are
 * UnavailableError; a record too large for the broker is InvalidArgumentError
 * on `value`; anything else is INTERNAL (not retryable). `what` says what failed.
 */
export function toStoreError(err: unknown, what: string): SluiceError {
  if (isSluiceError(err)) return err;
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as KafkaJSErrorLike;
  const type = kafkaErrorType(err);
  const detail = rootCause(e).message ?? e.message ?? String(err);
  // Wrong credentials or a mechanism the broker does not enable: the cluster is
  // there but refuses us. UNAVAILABLE (an operator fixes the config), said plainly.
  if (e.name === 'KafkaJSSASLAuthenticationError' || rootCause(e).name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED') {
    return new UnavailableError(`Kafka unavailable, ${what}: the brokers rejected the SASL credentials (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD): ${detail}`, err);
  }
  if (type && TOO_LARGE.has(type)) return new InvalidArgumentError('value', `the record is larger than the Kafka topic accepts (${type})`);
  if (TRANSIENT.has(e.name ?? '') || e.retriable === true || rootCause(e).retriable === true) {
    return new UnavailableError(`Kafka unavailable, ${what}: ${detail}`, err);
  }
  return new SluiceError('INTERNAL', `Kafka error, ${what}: ${type ?? e.name ?? 'error'}: ${detail}`, { cause: err });
}
