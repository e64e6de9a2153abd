import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { fromKafkaMessage, recordSize } from '../../plugins/kafka-records/cloudevents.ts';

// kafkajs decodes a null header value as null, though its types say otherwise (issue 9, defect 1).
const message = (headers: Record<string, Buffer | null | Array<Buffer | null>>): KafkaMessage =>
  ({ offset: '7', timestamp: '1700000000000', key: null, value: Buffer.from('d'), headers, attributes: 0 }) as unknown as KafkaMessage;

describe('CloudEvents mapping of null header values', () => {
  it('sizes a record whose header values are null', () => {
    expect(recordSize(message({ x: null, y: [Buffer.from('ab'), null] }))).toBeGreaterThan(200);
  });

  it('maps null attributes, extensions and headers of an event to empty ones', () => {
    const record = fromKafkaMessage('t', 0, message({ ce_id: Buffer.from('e'), ce_type: null, ce_ext: null, 'content-type': null, h: [null] }));
    expect(record.event).toMatchObject({ id: 'e', type: '', dataContentType: '', extensions: { ext: '' } });
    expect(record.headers.get('h')).toEqual(new Uint8Array(0));
  });
});
