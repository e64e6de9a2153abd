import { Producer, ProduceAcks } from '@platformatic/kafka';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { ProducedRecord, ProducerDriver } from '../../driver.ts';
import { clientOptions } from './client.ts';

const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** @platformatic/kafka's idempotent producer, one `send` per request (values stay Buffers: no serializers). */
export class PlatformaticProducer implements ProducerDriver {
  private readonly producer: Producer;

  constructor(config: KafkaRecordsConfig) {
    this.producer = new Producer({ ...clientOptions(config, 'producer'), idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
  }

  async send(records: readonly ProducedRecord[]): Promise<Map<string, bigint>> {
    const messages = records.map(({ topic, partition, key, value, headers }) => {
      const h = new Map<Buffer, Buffer>();
      for (const [name, v] of Object.entries(headers)) h.set(Buffer.from(name), asBuffer(v));
      return { topic, partition, key: key ?? undefined, value: value ?? undefined, headers: h };
    });
    const result = await this.producer.send({ messages, acks: ProduceAcks.ALL });
    return new Map((result.offsets ?? []).map(({ topic, partition, offset }) => [`${topic}\u0000${partition}`, offset]));
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
