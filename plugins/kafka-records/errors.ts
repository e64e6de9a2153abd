import { InvalidArgumentError, isSluiceError, SluiceError, UnavailableError } from '../../src/contracts/index.ts';

/** A kafkajs error, or a @platformatic/kafka one (GenericError / MultipleErrors: `code`, `apiId`, `canRetry`, `errors`). */
interface KafkaJSErrorLike {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
  code?: string;
  apiId?: string;
  canRetry?: boolean;
  errors?: unknown[];
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

/** @platformatic/kafka error codes that mean the same. */
const TRANSIENT_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT', 'PLT_KFK_UNEXPECTED_CORRELATION_ID']);

/** @platformatic/kafka protocol errors that mean a broker or partition is not there right now (its `canRetry` says false for some). */
const TRANSIENT_TYPES = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'BROKER_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
]);

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** The error's cause, else (an aggregate of @platformatic/kafka) its first error. */
function next(err: KafkaJSErrorLike): KafkaJSErrorLike | undefined {
  if (err.cause && typeof err.cause === 'object') return err.cause as KafkaJSErrorLike;
  const first = err.errors?.[0];
  return first && typeof first === 'object' ? (first as KafkaJSErrorLike) : undefined;
}

function rootCause(err: KafkaJSErrorLike): KafkaJSErrorLike {
  let current = err;
  for (let i = 0, n = next(current); i < 10 && n; i++, n = next(current)) current = n;
  return current;
}

/** Whether `err`, one of its causes or aggregated errors matches. */
function anyInChain(err: KafkaJSErrorLike, match: (e: KafkaJSErrorLike) => boolean): boolean {
  const seen = [err];
  for (let i = 0; i < seen.length && i < 20; i++) {
    const current = seen[i]!;
    if (match(current)) return true;
    if (current.cause && typeof current.cause === 'object') seen.push(current.cause as KafkaJSErrorLike);
    for (const e of current.errors ?? []) if (e && typeof e === 'object') seen.push(e as KafkaJSErrorLike);
  }
  return false;
}

/** The Kafka protocol error type (e.g. UNKNOWN_TOPIC_OR_PARTITION) of `err`, its causes or its aggregated errors (kafkajs `type`, @platformatic/kafka `apiId`). */
export function kafkaErrorType(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const seen = [err as KafkaJSErrorLike];
  for (let i = 0; i < seen.length && i < 20; i++) {
    const current = seen[i]!;
    const type = current.type ?? current.apiId;
    if (type && type !== 'NONE') return type;
    if (current.cause && typeof current.cause === 'object') seen.push(current.cause as KafkaJSErrorLike);
    for (const e of current.errors ?? []) if (e && typeof e === 'object') seen.push(e as KafkaJSErrorLike);
  }
  return undefined;
}

/**
 * A driver failure (kafkajs or @platformatic/kafka) as the store's typed error: transient failures (broker
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
  const sasl = e.name === 'KafkaJSSASLAuthenticationError' || rootCause(e).name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED';
  if (sasl || anyInChain(e, (x) => x.code === 'PLT_KFK_AUTHENTICATION')) {
    return new UnavailableError(`Kafka unavailable, ${what}: the brokers rejected the SASL credentials (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD): ${detail}`, err);
  }
  if (type && TOO_LARGE.has(type)) return new InvalidArgumentError('value', `the record is larger than the Kafka topic accepts (${type})`);
  const root = rootCause(e);
  const transient =
    TRANSIENT.has(e.name ?? '') || e.retriable === true || root.retriable === true ||
    anyInChain(e, (x) => TRANSIENT_CODES.has(x.code ?? '')) || root.canRetry === true || TRANSIENT_TYPES.has(type ?? '');
  if (transient) {
    return new UnavailableError(`Kafka unavailable, ${what}: ${detail}`, err);
  }
  return new SluiceError('INTERNAL', `Kafka error, ${what}: ${type ?? e.name ?? 'error'}: ${detail}`, { cause: err });
}
