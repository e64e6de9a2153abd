import fc from 'fast-check';
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

  it('JSON data is parsed exactly when JSON.parse accepts it, whatever it starts with (property)', () => {
    const whitespace = fc.stringMatching(/^[ \t\n\r]{0,3}$/);
    const text = fc.oneof(
      fc.tuple(whitespace, fc.json(), whitespace).map(([a, json, b]) => a + json + b),
      fc.string({ maxLength: 12 }),
      fc.tuple(fc.constantFrom(' ', '\f', '\u00a0', '\ufeff', ''), fc.constantFrom('1', '{}', '"a"', 'true', '-', 'nul', 'x')).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(text, fc.constantFrom('', 'application/json'), (data, type) => {
        let parsed: { value: unknown } | undefined;
        try {
          // As the gateway reads the bytes: strict UTF-8, a leading BOM dropped.
          parsed = { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(data))) as unknown };
        } catch {
          parsed = undefined;
        }
        const out = doc(toStructuredCloudEvent(event(type, Buffer.from(data))));
        if (data.length === 0) expect(out).not.toHaveProperty('data');
        else if (parsed !== undefined) expect(out.data).toEqual(parsed.value);
        else expect(out.data_base64).toBe(Buffer.from(data).toString('base64'));
      }),
      { numRuns: 2000 },
    );
  });
});
