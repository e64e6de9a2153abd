import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';
import { startTestGateway } from '../support/gateway.ts';
import { kafkaDrivers } from '../support/kafka-driver.ts';
import { uniqueName } from '../support/records.ts';

/**
 * SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) over TLS to the brokers
 * (issue 13): an own broker with a SASL_SSL listener, a throwaway CA and
 * SCRAM users stored at format time (scripts/kafka-broker.mjs saslSsl).
 * One broker; every case on each driver.
 */
describe('kafka records over SASL_SSL', () => {
  const user = { username: 'sluice', password: 'sluice-secret' };
  let broker: KafkaBrokerHandle;
  let secure: NonNullable<KafkaBrokerHandle['saslSsl']>;

  beforeAll(async () => {
    broker = await startKafkaBroker({ saslSsl: { users: [user] } });
    secure = broker.saslSsl!;
  }, 240_000);
  afterAll(async () => {
    await broker?.destroy();
  }, 60_000);

  describe.each(kafkaDrivers())('KAFKA_DRIVER=%s', (driver) => {
    const env = (extra: Record<string, string>) => ({
      RECORDS_STORE: 'kafka',
      KAFKA_DRIVER: driver,
      POSITIONS_STORE: 'memory',
      KAFKA_BOOTSTRAP_SERVERS: secure.bootstrap,
      KAFKA_TOPIC_PARTITIONS: '2',
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_SSL_CA_FILE: secure.caFile,
      KAFKA_SASL_USERNAME: user.username,
      ...extra,
    });

    it.each(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])('%s: a gateway publishes and receives', async (mechanism) => {
      const gateway = await startTestGateway(env({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: user.password }));
      try {
        const topic = uniqueName(`sasl-${mechanism.toLowerCase()}`);
        const published = await gateway.client.publish({ topic, key: Buffer.from('k'), value: Buffer.from(`over ${mechanism}`) });
        const subscription = gateway.client.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'EARLIEST' });
        try {
          const assignments = await subscription.until((a) => a.length === 2, 60_000);
          const assignment = assignments.find((a) => a.partition === published.partition)!;
          const receive = gateway.client.receive({ assignment });
          const [reply] = await receive.take(1, 60_000);
          receive.cancel();
          expect(reply!.record!.offset).toBe(published.offset);
          expect(reply!.record!.value.toString()).toBe(`over ${mechanism}`);
        } finally {
          subscription.cancel();
        }
      } finally {
        await gateway.stop();
      }
    }, 120_000);

    it('reads the password from KAFKA_SASL_PASSWORD_FILE (its trailing newline is no part of it)', async () => {
      const file = join(broker.dir, 'sasl-password');
      await writeFile(file, `${user.password}\n`, { mode: 0o600 });
      const gateway = await startTestGateway(env({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_PASSWORD_FILE: file }));
      try {
        const published = await gateway.client.publish({ topic: uniqueName('sasl-file'), value: Buffer.from('x') });
        expect(published.offset).toBe('0');
      } finally {
        await gateway.stop();
      }
    }, 120_000);

    it.each(['PLAIN', 'SCRAM-SHA-256'])('%s with a wrong password: the store is unavailable, saying the credentials were rejected', async (mechanism) => {
      const started = startTestGateway(env({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: 'wrong-password' }));
      const err = await started.then(
        async (gateway) => {
          await gateway.stop();
          return new Error('the gateway started with a wrong password');
        },
        (e: unknown) => e as Error & { code?: string },
      );
      expect(err.message).toMatch(/Kafka unavailable.*rejected the SASL credentials.*KAFKA_SASL_PASSWORD/s);
      expect((err as { code?: string }).code).toBe('UNAVAILABLE');
    }, 120_000);

    it('without the CA the broker certificate is refused; KAFKA_SSL_REJECT_UNAUTHORIZED=false accepts it', async () => {
      const { KAFKA_SSL_CA_FILE: _ca, ...withoutCa } = env({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_PASSWORD: user.password, KAFKA_CONNECTION_TIMEOUT_MS: '2000' });
      await expect(startTestGateway(withoutCa)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const gateway = await startTestGateway({ ...withoutCa, KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' });
      await gateway.stop();
    }, 120_000);
  });
});
