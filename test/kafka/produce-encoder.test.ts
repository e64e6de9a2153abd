import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { produceRequest } from '../../plugins/kafka-records/drivers/kafkajs/produce-request.ts';
import { uniqueName } from '../support/records.ts';
import { makeStore, plainKafka, readPlain } from './helpers.ts';

/**
 * The gateway's produce request encoder against a real broker, which checks
 * what kafkajs does not: every batch's CRC, the idempotent producer's
 * sequence numbers, the transactional flag. kafkajs producers in this process
 * send through it once a kafkajs store has installed it.
 */
const require = createRequire(import.meta.url);

describe('kafkajs produce request encoder, on a broker', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_DRIVER: 'kafkajs', KAFKA_PRODUCER_DRIVER: 'kafkajs', KAFKA_KAFKAJS_PRODUCE_ENCODER: 'sluice' });
  });
  afterAll(async () => {
    await store?.close();
  });

  /** Messages of every shape the encoder writes itself: keys and values null, strings or bytes, headers repeated, timestamps given or not. */
  const messages = (n: number): Message[] =>
    Array.from({ length: n }, (_, i) => ({
      partition: i % 3,
      key: i % 5 === 0 ? null : i % 2 === 0 ? `ключ-${i}` : Buffer.from(`k${i}`),
      value: i % 7 === 0 ? null : i % 2 === 0 ? `value ✓ ${i}`.repeat(i % 4) : Buffer.alloc(100 + i, i),
      headers: i % 3 === 0 ? {} : { trace: `t-${i}`, 'répété': [Buffer.from('a'), 'b'] },
      ...(i % 4 === 0 ? { timestamp: String(1_700_000_000_000 + i) } : {}),
    }));

  const expectReadBack = async (topic: string, sent: Message[]) => {
    const read = await readPlain(topic, sent.length);
    const byKey = (m: { key?: Buffer | string | null; partition?: number }, i: number) => `${m.partition}:${m.key === null || m.key === undefined ? `null-${i}` : Buffer.from(m.key).toString()}`;
    expect(read).toHaveLength(sent.length);
    for (const [i, m] of sent.entries()) {
      const got = read.find((r) => r.partition === m.partition && (m.key == null ? r.key === null && r.value?.toString() === (m.value == null ? undefined : Buffer.from(m.value).toString()) : r.key?.toString() === Buffer.from(m.key).toString()));
      expect(got, byKey(m, i)).toBeDefined();
      expect(got!.value === null ? null : got!.value.toString('hex'), byKey(m, i)).toBe(m.value == null ? null : Buffer.from(m.value).toString('hex'));
      if (m.timestamp !== undefined) expect(got!.timestamp, byKey(m, i)).toBe(m.timestamp);
      const headers = Object.fromEntries(Object.entries(got!.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
      expect(headers, byKey(m, i)).toEqual(Object.keys(m.headers ?? {}).length === 0 ? {} : { trace: `t-${i}`, 'répété': ['a', 'b'] });
    }
  };

  it('is what kafkajs sends produce requests with, once the store is made', () => {
    expect(require.cache[require.resolve('kafkajs/src/protocol/requests/produce/v3/request')]!.exports).toBe(produceRequest);
  });

  it('an idempotent producer: the broker takes every batch, and a plain consumer reads each record as sent', async () => {
    const topic = uniqueName('encoder-idempotent');
    const kafka = plainKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = messages(60);
    try {
      // Several sends: the sequence numbers of each partition go on from one request to the next.
      for (let i = 0; i < sent.length; i += 20) await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 20) });
    } finally {
      await producer.disconnect();
    }
    await expectReadBack(topic, sent);
  });

  it('a transactional producer: a committed transaction is read as sent', async () => {
    const topic = uniqueName('encoder-transactional');
    const kafka = plainKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = messages(30);
    try {
      const transaction = await producer.transaction();
      await transaction.send({ topic, acks: -1, messages: sent });
      await transaction.commit();
    } finally {
      await producer.disconnect();
    }
    await expectReadBack(topic, sent);
  });
});
