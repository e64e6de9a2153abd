import { describe, expect, it } from 'vitest';
import { parseKafkaConfig } from '../../plugins/kafka-records/config.ts';
import { InvalidArgumentError } from '../../src/contracts/index.ts';

const base = { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092' };

function failure(config: Record<string, string | undefined>): InvalidArgumentError {
  try {
    parseKafkaConfig(config);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err;
    throw err;
  }
  throw new Error('expected InvalidArgumentError');
}

describe('Kafka records store config', () => {
  it('has defaults for everything but KAFKA_BOOTSTRAP_SERVERS', () => {
    const config = parseKafkaConfig(base);
    expect(config).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      topicPartitions: 8,
      topicReplication: 1,
      autoCreateTopics: true,
      fetchMaxBytesPerPartition: 1024 * 1024,
      fetchMaxBytes: 8 * 1024 * 1024,
      fetchMaxWaitMs: 100,
      kafkajsRecordDecoder: 'blocks',
      kafkajsProduceEncoder: 'sluice',
      kafkajsResponseReader: 'sluice',
      partitionBufferMaxBytes: 16 * 1024 * 1024,
      partitionBufferRecords: 1000,
      partitionBufferBytes: 512 * 1024,
    });
  });

  it('picks the driver (kafkajs by default) and the group protocol (classic by default; KIP-848 consumer with platformatic only)', () => {
    expect(parseKafkaConfig(base)).toMatchObject({ driver: 'kafkajs', groupProtocol: 'classic' });
    expect(parseKafkaConfig({ ...base, KAFKA_DRIVER: 'Platformatic' })).toMatchObject({ driver: 'platformatic', groupProtocol: 'classic' });
    expect(parseKafkaConfig({ ...base, KAFKA_DRIVER: 'platformatic', KAFKA_GROUP_PROTOCOL: 'consumer' })).toMatchObject({ driver: 'platformatic', groupProtocol: 'consumer' });
    expect(failure({ ...base, KAFKA_DRIVER: 'rdkafka' })).toMatchObject({ field: 'KAFKA_DRIVER' });
    expect(failure({ ...base, KAFKA_DRIVER: 'rdkafka' }).message).toMatch(/kafkajs, platformatic/);
    expect(failure({ ...base, KAFKA_GROUP_PROTOCOL: 'eager' })).toMatchObject({ field: 'KAFKA_GROUP_PROTOCOL' });
    expect(parseKafkaConfig({ ...base, KAFKA_KAFKAJS_RECORD_DECODER: 'kafkajs' })).toMatchObject({ kafkajsRecordDecoder: 'kafkajs' });
    expect(parseKafkaConfig({ ...base, KAFKA_KAFKAJS_RECORD_DECODER: 'Sluice' })).toMatchObject({ kafkajsRecordDecoder: 'sluice' });
    expect(failure({ ...base, KAFKA_KAFKAJS_RECORD_DECODER: 'fast' })).toMatchObject({ field: 'KAFKA_KAFKAJS_RECORD_DECODER' });
    expect(parseKafkaConfig({ ...base, KAFKA_KAFKAJS_PRODUCE_ENCODER: 'kafkajs' })).toMatchObject({ kafkajsProduceEncoder: 'kafkajs' });
    expect(failure({ ...base, KAFKA_KAFKAJS_PRODUCE_ENCODER: 'fast' })).toMatchObject({ field: 'KAFKA_KAFKAJS_PRODUCE_ENCODER' });
    expect(parseKafkaConfig({ ...base, KAFKA_KAFKAJS_RESPONSE_READER: 'kafkajs' })).toMatchObject({ kafkajsResponseReader: 'kafkajs' });
    expect(failure({ ...base, KAFKA_KAFKAJS_RESPONSE_READER: 'whole' })).toMatchObject({ field: 'KAFKA_KAFKAJS_RESPONSE_READER' });
    expect(failure({ ...base, KAFKA_GROUP_PROTOCOL: 'consumer' }).message).toMatch(/KAFKA_DRIVER=platformatic/);
    // Publishing through the other library: by default the same as KAFKA_DRIVER.
    expect(parseKafkaConfig(base)).toMatchObject({ driver: 'kafkajs', producerDriver: 'kafkajs' });
    expect(parseKafkaConfig({ ...base, KAFKA_DRIVER: 'platformatic', KAFKA_PRODUCER_DRIVER: '' })).toMatchObject({ producerDriver: 'platformatic' });
    expect(parseKafkaConfig({ ...base, KAFKA_PRODUCER_DRIVER: 'platformatic' })).toMatchObject({ driver: 'kafkajs', producerDriver: 'platformatic' });
    expect(failure({ ...base, KAFKA_PRODUCER_DRIVER: 'librdkafka' })).toMatchObject({ field: 'KAFKA_PRODUCER_DRIVER' });
  });

  it('parses lists, numbers and booleans; empty values count as unset', () => {
    const config = parseKafkaConfig({
      KAFKA_BOOTSTRAP_SERVERS: ' kafka-1:9092, kafka-2:19092 ,[::1]:9093',
      KAFKA_TOPIC_PARTITIONS: '32',
      KAFKA_TOPIC_REPLICATION: '3',
      KAFKA_AUTO_CREATE_TOPICS: 'FALSE',
      KAFKA_FETCH_MAX_WAIT_MS: '',
    });
    expect(config.brokers).toEqual(['kafka-1:9092', 'kafka-2:19092', '[::1]:9093']);
    expect(config.topicPartitions).toBe(32);
    expect(config.topicReplication).toBe(3);
    expect(config.autoCreateTopics).toBe(false);
    expect(config.fetchMaxWaitMs).toBe(100);
  });

  it.each([
    [{}, 'KAFKA_BOOTSTRAP_SERVERS', /is required/],
    [{ KAFKA_BOOTSTRAP_SERVERS: ' , ' }, 'KAFKA_BOOTSTRAP_SERVERS', /is required/],
    [{ KAFKA_BOOTSTRAP_SERVERS: 'localhost' }, 'KAFKA_BOOTSTRAP_SERVERS', /host:port/],
    [{ KAFKA_BOOTSTRAP_SERVERS: 'localhost:99999' }, 'KAFKA_BOOTSTRAP_SERVERS', /host:port/],
    [{ ...base, KAFKA_TOPIC_PARTITIONS: 'many' }, 'KAFKA_TOPIC_PARTITIONS', /integer from 1/],
    [{ ...base, KAFKA_TOPIC_PARTITIONS: '0' }, 'KAFKA_TOPIC_PARTITIONS', /integer from 1/],
    [{ ...base, KAFKA_TOPIC_PARTITIONS: '1.5' }, 'KAFKA_TOPIC_PARTITIONS', /integer/],
    [{ ...base, KAFKA_TOPIC_REPLICATION: '-1' }, 'KAFKA_TOPIC_REPLICATION', /integer/],
    [{ ...base, KAFKA_AUTO_CREATE_TOPICS: 'maybe' }, 'KAFKA_AUTO_CREATE_TOPICS', /true or false/],
    [{ ...base, KAFKA_FETCH_MAX_BYTES: '2048', KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '4096' }, 'KAFKA_FETCH_MAX_BYTES', /at least/],
    [{ ...base, KAFKA_PARTITION_BUFFER_MAX_BYTES: '2048', KAFKA_PARTITION_BUFFER_BYTES: '4096' }, 'KAFKA_PARTITION_BUFFER_MAX_BYTES', /at least/],
    [{ ...base, KAFKA_HEARTBEAT_INTERVAL_MS: '30000' }, 'KAFKA_HEARTBEAT_INTERVAL_MS', /lower than KAFKA_SESSION_TIMEOUT_MS/],
  ])('%o is rejected naming %s', (config, key, reason) => {
    const error = failure(config);
    expect(error.field).toBe(key);
    expect(error.reason).toMatch(reason);
  });

  it('a bad value fails the plugin start naming the key', async () => {
    const { plugin } = await import('../../plugins/kafka-records/index.ts');
    const pino = (await import('pino')).default;
    await expect(plugin.create({ config: { ...base, KAFKA_TOPIC_PARTITIONS: 'x' }, logger: pino({ level: 'silent' }) })).rejects.toMatchObject({
      field: 'KAFKA_TOPIC_PARTITIONS',
    });
  });
});

describe('Kafka records store config: SASL and TLS', () => {
  it('has neither by default', () => {
    expect(parseKafkaConfig(base)).toMatchObject({ sasl: undefined, ssl: undefined });
  });

  it('takes a mechanism in any case, a username and a password (inline or from a file, without its trailing newline)', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-config-'));
    await writeFile(join(dir, 'pw'), 's3cret\n');
    await writeFile(join(dir, 'ca.pem'), 'CA PEM');
    expect(parseKafkaConfig({ ...base, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
    expect(parseKafkaConfig({ ...base, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw') }).sasl?.password).toBe('s3cret');
    expect(parseKafkaConfig({ ...base, KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_CA_FILE: join(dir, 'ca.pem') }).ssl).toEqual({
      ca: 'CA PEM',
      cert: undefined,
      key: undefined,
      rejectUnauthorized: true,
    });
  });

  it('names the key at fault', () => {
    expect(failure({ ...base, KAFKA_SASL_MECHANISM: 'GSSAPI' }).message).toMatch(/KAFKA_SASL_MECHANISM.*PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
    expect(failure({ ...base, KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_PASSWORD: 'p' }).message).toMatch(/KAFKA_SASL_USERNAME.*required/);
    expect(failure({ ...base, KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u' }).message).toMatch(/KAFKA_SASL_PASSWORD.*required/);
    expect(failure({ ...base, KAFKA_SASL_USERNAME: 'u' }).message).toMatch(/KAFKA_SASL_USERNAME.*KAFKA_SASL_MECHANISM is not/);
    expect(failure({ ...base, KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' }).message).toMatch(
      /KAFKA_SASL_PASSWORD_FILE.*cannot read/,
    );
    expect(failure({ ...base, KAFKA_SSL_CA_FILE: '/x.pem' }).message).toMatch(/KAFKA_SSL_CA_FILE.*KAFKA_SSL_ENABLED is not true/);
    expect(failure({ ...base, KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_CERT_FILE: '/x.pem' }).message).toMatch(/KAFKA_SSL_KEY_FILE.*required too/);
    expect(failure({ ...base, KAFKA_SSL_ENABLED: 'maybe' }).message).toMatch(/KAFKA_SSL_ENABLED.*true or false/);
  });
});
