import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidArgumentError } from '../../src/contracts/index.ts';

/** The Kafka records store's settings, from KAFKA_* keys. */
export interface KafkaRecordsConfig {
  /** The Kafka client library (KAFKA_DRIVER). */
  driver: KafkaDriverName;
  /** The library that publishes (KAFKA_PRODUCER_DRIVER; default: the same as `driver`). */
  producerDriver: KafkaDriverName;
  /**
   * Who decodes fetched record batches under KAFKA_DRIVER=kafkajs (KAFKA_KAFKAJS_RECORD_DECODER): the gateway's
   * decoder handing records without headers on as blocks (no object per record), the same decoder making an
   * object of every record, or kafkajs's own.
   */
  kafkajsRecordDecoder: 'blocks' | 'sluice' | 'kafkajs';
  /**
   * Who reads broker responses off the socket under kafkajs (KAFKA_KAFKAJS_RESPONSE_READER): the gateway's reader,
   * which reads a large response into one buffer of its size (plaintext without SASL only), or kafkajs's own.
   */
  kafkajsResponseReader: 'sluice' | 'kafkajs';
  /** Who encodes produce requests under KAFKA_PRODUCER_DRIVER=kafkajs (KAFKA_KAFKAJS_PRODUCE_ENCODER): the gateway's faster encoder, or kafkajs's own. */
  kafkajsProduceEncoder: 'sluice' | 'kafkajs';
  /** Consumer group protocol: classic, or KIP-848 `consumer` (Kafka 4.x brokers; platformatic driver only). */
  groupProtocol: 'classic' | 'consumer';
  /** host:port list. */
  brokers: string[];
  clientId: string;
  /** Partitions of a topic the store creates. */
  topicPartitions: number;
  /** Replication factor of a topic the store creates. */
  topicReplication: number;
  /** Create a missing topic on first publish / subscribe; when false, a missing topic is NotFoundError. */
  autoCreateTopics: boolean;
  /** Consumer fetch: at most this many bytes per partition per fetch. */
  fetchMaxBytesPerPartition: number;
  /** Consumer fetch: at most this many bytes per fetch response. */
  fetchMaxBytes: number;
  /** Consumer fetch: how long the broker may hold a fetch open waiting for data. */
  fetchMaxWaitMs: number;
  /** Read-ahead per partition: pause fetching once this many records are buffered. */
  partitionBufferRecords: number;
  /** Read-ahead per partition: pause fetching once this many bytes are buffered (slow reader). */
  partitionBufferBytes: number;
  /** Read-ahead per partition: how far a fast reader's high-water mark may grow. */
  partitionBufferMaxBytes: number;
  /** Drop the read-ahead of a reader that has not pulled for this long. */
  partitionBufferReleaseMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Socket connect timeout. */
  connectionTimeoutMs: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
  /** SASL authentication to the brokers; undefined: none. */
  sasl: KafkaSaslConfig | undefined;
  /** TLS to the brokers; undefined: plaintext. */
  ssl: KafkaSslConfig | undefined;
}

export type KafkaDriverName = 'kafkajs' | 'platformatic';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSaslConfig {
  mechanism: KafkaSaslMechanism;
  username: string;
  /** From KAFKA_SASL_PASSWORD or the file KAFKA_SASL_PASSWORD_FILE names. Never logged. */
  password: string;
}

export interface KafkaSslConfig {
  /** PEM CA bundle to trust instead of Node's default CAs (KAFKA_SSL_CA_FILE). */
  ca: string | undefined;
  /** PEM client certificate and key for mutual TLS (KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE). */
  cert: string | undefined;
  key: string | undefined;
  /** Verify the broker's certificate and host name (default true). */
  rejectUnauthorized: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be an integer from ${min} to ${max}`).max(max, `must be an integer from ${min} to ${max}`));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An optional free-form value (a name, a path); unset or empty is undefined. */
const optionalText = z.string().optional();

const brokers = z
  .string({ error: 'is required (e.g. 127.0.0.1:9092, or a comma-separated list host1:9092,host2:9092)' })
  .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
  .refine((list) => list.length > 0, 'is required (e.g. 127.0.0.1:9092, or a comma-separated list host1:9092,host2:9092)')
  .refine(
    (list) => list.every((b) => /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):\d{1,5}$/.test(b) && Number(b.slice(b.lastIndexOf(':') + 1)) <= 65535),
    'must be host:port[,host:port...] (e.g. 127.0.0.1:9092)',
  );

/** Each key with its schema and default (a string, parsed like a given value). */
const oneOf = (...values: string[]) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => values.includes(v), `must be one of ${values.join(', ')}`);

const KEYS = {
  KAFKA_BOOTSTRAP_SERVERS: [brokers, undefined],
  KAFKA_DRIVER: [oneOf('kafkajs', 'platformatic'), 'kafkajs'],
  KAFKA_PRODUCER_DRIVER: [oneOf('kafkajs', 'platformatic').optional(), undefined],
  KAFKA_KAFKAJS_RECORD_DECODER: [oneOf('blocks', 'sluice', 'kafkajs'), 'blocks'],
  KAFKA_KAFKAJS_PRODUCE_ENCODER: [oneOf('sluice', 'kafkajs'), 'sluice'],
  KAFKA_KAFKAJS_RESPONSE_READER: [oneOf('sluice', 'kafkajs'), 'sluice'],
  KAFKA_GROUP_PROTOCOL: [oneOf('classic', 'consumer'), 'classic'],
  KAFKA_CLIENT_ID: [z.string().trim().min(1, 'must not be empty').max(255), 'sluice'],
  KAFKA_TOPIC_PARTITIONS: [int(1, 100_000), '8'],
  KAFKA_TOPIC_REPLICATION: [int(1, 32), '1'],
  KAFKA_AUTO_CREATE_TOPICS: [bool, 'true'],
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: [int(1 * KiB, 64 * MiB), String(1 * MiB)],
  KAFKA_FETCH_MAX_BYTES: [int(1 * KiB, 256 * MiB), String(8 * MiB)],
  KAFKA_FETCH_MAX_WAIT_MS: [int(1, 60_000), '100'],
  KAFKA_PARTITION_BUFFER_RECORDS: [int(1, 1_000_000), '1000'],
  KAFKA_PARTITION_BUFFER_BYTES: [int(1 * KiB, 256 * MiB), String(512 * KiB)],
  KAFKA_PARTITION_BUFFER_MAX_BYTES: [int(1 * KiB, 1024 * MiB), String(16 * MiB)],
  KAFKA_PARTITION_BUFFER_RELEASE_MS: [int(10, 3_600_000), '1000'],
  KAFKA_SESSION_TIMEOUT_MS: [int(1_000, 3_600_000), '30000'],
  KAFKA_HEARTBEAT_INTERVAL_MS: [int(100, 3_600_000), '1000'],
  KAFKA_CONNECTION_TIMEOUT_MS: [int(100, 600_000), '3000'],
  KAFKA_REQUEST_TIMEOUT_MS: [int(100, 600_000), '30000'],
  KAFKA_SASL_MECHANISM: [
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => ['none', 'plain', 'scram-sha-256', 'scram-sha-512'].includes(v), 'must be one of none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512'),
    'none',
  ],
  KAFKA_SASL_USERNAME: [optionalText, undefined],
  KAFKA_SASL_PASSWORD: [optionalText, undefined],
  KAFKA_SASL_PASSWORD_FILE: [optionalText, undefined],
  KAFKA_SSL_ENABLED: [bool, 'false'],
  KAFKA_SSL_CA_FILE: [optionalText, undefined],
  KAFKA_SSL_CERT_FILE: [optionalText, undefined],
  KAFKA_SSL_KEY_FILE: [optionalText, undefined],
  KAFKA_SSL_REJECT_UNAUTHORIZED: [bool, 'true'],
} as const satisfies Record<string, readonly [z.ZodType<unknown, string | undefined>, string | undefined]>;

type Key = keyof typeof KEYS;
type Parsed = { [K in Key]: z.output<(typeof KEYS)[K][0]> };

/**
 * Validates the store's own keys; throws InvalidArgumentError naming the
 * first bad key. Empty values count as unset.
 */
export function parseKafkaConfig(config: Readonly<Record<string, string | undefined>>): KafkaRecordsConfig {
  const values = {} as Record<Key, unknown>;
  for (const [key, [schema, fallback]] of Object.entries(KEYS) as [Key, readonly [z.ZodType<unknown, string | undefined>, string | undefined]][]) {
    const given = config[key];
    const raw = given === undefined || given.trim() === '' ? fallback : given;
    const result = schema.safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'is invalid';
      throw new InvalidArgumentError(key, raw === undefined ? reason : `${reason} (got ${JSON.stringify(raw)})`);
    }
    values[key] = result.data;
  }
  const v = values as Parsed;
  if (v.KAFKA_HEARTBEAT_INTERVAL_MS >= v.KAFKA_SESSION_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      'KAFKA_HEARTBEAT_INTERVAL_MS',
      `must be lower than KAFKA_SESSION_TIMEOUT_MS (${v.KAFKA_SESSION_TIMEOUT_MS}); about a third of it is usual`,
    );
  }
  if (v.KAFKA_PARTITION_BUFFER_MAX_BYTES < v.KAFKA_PARTITION_BUFFER_BYTES) {
    throw new InvalidArgumentError('KAFKA_PARTITION_BUFFER_MAX_BYTES', `must be at least KAFKA_PARTITION_BUFFER_BYTES (${v.KAFKA_PARTITION_BUFFER_BYTES})`);
  }
  if (v.KAFKA_FETCH_MAX_BYTES < v.KAFKA_FETCH_MAX_BYTES_PER_PARTITION) {
    throw new InvalidArgumentError('KAFKA_FETCH_MAX_BYTES', `must be at least KAFKA_FETCH_MAX_BYTES_PER_PARTITION (${v.KAFKA_FETCH_MAX_BYTES_PER_PARTITION})`);
  }
  if (v.KAFKA_GROUP_PROTOCOL === 'consumer' && v.KAFKA_DRIVER !== 'platformatic') {
    throw new InvalidArgumentError('KAFKA_GROUP_PROTOCOL', 'consumer (KIP-848) needs KAFKA_DRIVER=platformatic: kafkajs has the classic protocol only');
  }
  return {
    driver: v.KAFKA_DRIVER as KafkaDriverName,
    producerDriver: (v.KAFKA_PRODUCER_DRIVER ?? v.KAFKA_DRIVER) as KafkaDriverName,
    kafkajsRecordDecoder: v.KAFKA_KAFKAJS_RECORD_DECODER as 'blocks' | 'sluice' | 'kafkajs',
    kafkajsProduceEncoder: v.KAFKA_KAFKAJS_PRODUCE_ENCODER as 'sluice' | 'kafkajs',
    kafkajsResponseReader: v.KAFKA_KAFKAJS_RESPONSE_READER as 'sluice' | 'kafkajs',
    groupProtocol: v.KAFKA_GROUP_PROTOCOL as 'classic' | 'consumer',
    sasl: saslConfig(v),
    ssl: sslConfig(v),
    brokers: v.KAFKA_BOOTSTRAP_SERVERS,
    clientId: v.KAFKA_CLIENT_ID,
    topicPartitions: v.KAFKA_TOPIC_PARTITIONS,
    topicReplication: v.KAFKA_TOPIC_REPLICATION,
    autoCreateTopics: v.KAFKA_AUTO_CREATE_TOPICS,
    fetchMaxBytesPerPartition: v.KAFKA_FETCH_MAX_BYTES_PER_PARTITION,
    fetchMaxBytes: v.KAFKA_FETCH_MAX_BYTES,
    fetchMaxWaitMs: v.KAFKA_FETCH_MAX_WAIT_MS,
    partitionBufferRecords: v.KAFKA_PARTITION_BUFFER_RECORDS,
    partitionBufferBytes: v.KAFKA_PARTITION_BUFFER_BYTES,
    partitionBufferMaxBytes: v.KAFKA_PARTITION_BUFFER_MAX_BYTES,
    partitionBufferReleaseMs: v.KAFKA_PARTITION_BUFFER_RELEASE_MS,
    sessionTimeoutMs: v.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: v.KAFKA_HEARTBEAT_INTERVAL_MS,
    connectionTimeoutMs: v.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: v.KAFKA_REQUEST_TIMEOUT_MS,
  };
}

/** Reads a file a key names; an unreadable one is InvalidArgumentError on that key. */
function readKeyFile(key: Key, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(key, `cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

function saslConfig(v: Parsed): KafkaSaslConfig | undefined {
  if (v.KAFKA_SASL_MECHANISM === 'none') {
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (v[key] !== undefined) throw new InvalidArgumentError(key, 'is set but KAFKA_SASL_MECHANISM is not (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)');
    }
    return undefined;
  }
  const mechanism = v.KAFKA_SASL_MECHANISM as KafkaSaslMechanism;
  if (v.KAFKA_SASL_USERNAME === undefined) throw new InvalidArgumentError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanism.toUpperCase()}`);
  if (v.KAFKA_SASL_PASSWORD !== undefined && v.KAFKA_SASL_PASSWORD_FILE !== undefined) {
    throw new InvalidArgumentError('KAFKA_SASL_PASSWORD_FILE', 'set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both');
  }
  // A password file usually ends with a newline its editor added; it is no part of the password.
  const password =
    v.KAFKA_SASL_PASSWORD_FILE !== undefined ? readKeyFile('KAFKA_SASL_PASSWORD_FILE', v.KAFKA_SASL_PASSWORD_FILE).replace(/\r?\n$/, '') : v.KAFKA_SASL_PASSWORD;
  if (password === undefined || password === '') {
    throw new InvalidArgumentError('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${mechanism.toUpperCase()} (or KAFKA_SASL_PASSWORD_FILE)`);
  }
  return { mechanism, username: v.KAFKA_SASL_USERNAME, password };
}

function sslConfig(v: Parsed): KafkaSslConfig | undefined {
  const files = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;
  if (!v.KAFKA_SSL_ENABLED) {
    for (const key of files) if (v[key] !== undefined) throw new InvalidArgumentError(key, 'is set but KAFKA_SSL_ENABLED is not true');
    return undefined;
  }
  if ((v.KAFKA_SSL_CERT_FILE === undefined) !== (v.KAFKA_SSL_KEY_FILE === undefined)) {
    const missing = v.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE';
    throw new InvalidArgumentError(missing, 'is required too: a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
  }
  const read = (key: (typeof files)[number]) => {
    const path = v[key];
    return path === undefined ? undefined : readKeyFile(key, path);
  };
  return { ca: read('KAFKA_SSL_CA_FILE'), cert: read('KAFKA_SSL_CERT_FILE'), key: read('KAFKA_SSL_KEY_FILE'), rejectUnauthorized: v.KAFKA_SSL_REJECT_UNAUTHORIZED };
}
