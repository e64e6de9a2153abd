import type { CloudEvent } from '../contracts/index.ts';

/**
 * CloudEvents JSON format (structured content mode, spec v1.0), as Liiklus
 * puts an event in `ReceiveReply.Record.value`. Hand-written rather than the
 * `cloudevents` npm SDK: a dozen lines over JSON.stringify, no new dependency
 * on the record path, and the SDK validates and rewrites attributes (it
 * would reject events Sluice already accepted).
 */
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();
const isJson = (type: string) => type === '' || type === 'application/json' || type.endsWith('+json');
const isText = (type: string) => type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml');

/** JSON text starts, after whitespace, with one of these (RFC 8259 values: object, array, string, number, true, false, null). */
const JSON_START = /^[ \t\n\r]*[{["\-0-9tfn]/;

/**
 * Whether JSON.parse may accept `text`: false when it certainly throws. A
 * thrown SyntaxError cost about 20 us per record (its stack captured), and
 * every event whose data is not JSON under a JSON or absent content type
 * (binary data without one, most often) threw.
 */
const mayBeJson = (text: string): boolean => JSON_START.test(text);

/**
 * `data` as a JSON value when the content type is JSON (or absent, as the
 * spec says) and the bytes parse; as a string for text; else `data_base64`.
 */
function dataMembers(data: Uint8Array, contentType: string): Record<string, unknown> {
  if (data.byteLength === 0) return {};
  const type = mediaType(contentType);
  let text: string | undefined;
  try {
    text = strictUtf8.decode(data);
  } catch {
    text = undefined;
  }
  if (text !== undefined && isJson(type) && mayBeJson(text)) {
    try {
      return { data: JSON.parse(text) as unknown };
    } catch {
      // not JSON after all: below
    }
  }
  if (text !== undefined && isText(type)) return { data: text };
  return { data_base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function toStructuredCloudEvent(event: CloudEvent): Uint8Array {
  const document: Record<string, unknown> = { specversion: '1.0', id: event.id, source: event.source, type: event.type };
  if (event.dataContentType !== '') document.datacontenttype = event.dataContentType;
  if (event.time !== '') document.time = event.time;
  for (const [name, value] of Object.entries(event.extensions)) {
    if (!(name in document) && name !== 'data' && name !== 'data_base64') document[name] = value;
  }
  return encoder.encode(JSON.stringify({ ...document, ...dataMembers(event.data, event.dataContentType) }));
}

/** The event's attributes as CloudEvents Kafka binary-mode headers (ce_*, content-type). */
export function binaryModeHeaders(event: CloudEvent): Record<string, Uint8Array> {
  const headers: Record<string, Uint8Array> = {
    ce_specversion: encoder.encode('1.0'),
    ce_id: encoder.encode(event.id),
    ce_source: encoder.encode(event.source),
    ce_type: encoder.encode(event.type),
  };
  if (event.time !== '') headers.ce_time = encoder.encode(event.time);
  if (event.dataContentType !== '') headers['content-type'] = encoder.encode(event.dataContentType);
  for (const [name, value] of Object.entries(event.extensions)) headers[`ce_${name}`] ??= encoder.encode(value);
  return headers;
}
