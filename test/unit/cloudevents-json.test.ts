import { describe, expect, it } from 'vitest';
import { toStructuredCloudEvent } from '../../src/grpc/cloudevents-json.ts';

const event = (dataContentType: string, data: Uint8Array) => ({ id: 'i', type: 't', source: '/s', time: '', dataContentType, data, extensions: { ext: 'x' } });
const doc = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;

describe('CloudEvents JSON format of an event (BINARY Receive, as Liiklus)', () => {
  it('puts JSON data as JSON, text as a string, anything else as data_base64', () => {
    expect(doc(toStructuredCloudEvent(event('application/cloudevents-x+json; charset=utf-8', Buffer.from('[1,2]'))))).toMatchObject({ data: [1, 2], ext: 'x' });
    expect(doc(toStructuredCloudEvent(event('text/plain', Buffer.from('hi'))))).toMatchObject({ data: 'hi', datacontenttype: 'text/plain' });
    expect(doc(toStructuredCloudEvent(event('application/octet-stream', Buffer.from([0xff, 0x00]))))).toMatchObject({ data_base64: '/wA=' });
    expect(doc(toStructuredCloudEvent(event('application/json', Buffer.from('not json'))))).toMatchObject({ data_base64: Buffer.from('not json').toString('base64') });
    expect(doc(toStructuredCloudEvent(event('', new Uint8Array(0))))).toEqual({ specversion: '1.0', id: 'i', source: '/s', type: 't', ext: 'x' });
  });
});
