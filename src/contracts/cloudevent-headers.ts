import type { CloudEvent } from './records.ts';

/**
 * CloudEvents binary content mode over record headers, as the Kafka protocol
 * binding puts it: the event's attributes are `ce_`-prefixed headers, its
 * data content type is the `content-type` header, its data the record value.
 * A record with a `ce_id` header is an event.
 */
export const CLOUDEVENT_HEADER_PREFIX = 'ce_';
export const CLOUDEVENT_ID_HEADER = 'ce_id';
export const CONTENT_TYPE_HEADER = 'content-type';
/** Attributes with their own LiiklusEvent fields (the rest are extensions; specversion is implied). */
export const CLOUDEVENT_OWN_ATTRIBUTES: ReadonlySet<string> = new Set(['id', 'type', 'source', 'time', 'specversion']);

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * The event in the headers of a record that has a `ce_id` one, and the
 * headers left once its attributes and content type are taken out (in their
 * order). An attribute's value is its header's bytes as UTF-8 text.
 */
export function cloudEventOfHeaders(all: ReadonlyMap<string, Uint8Array>, data: Uint8Array | null): { event: CloudEvent; headers: Map<string, Uint8Array> } {
  const text = (name: string) => {
    const bytes = all.get(name);
    return bytes === undefined ? '' : decoder.decode(bytes);
  };
  const extensions: Record<string, string> = {};
  const headers = new Map<string, Uint8Array>();
  for (const [name, bytes] of all) {
    if (name.startsWith(CLOUDEVENT_HEADER_PREFIX)) {
      const attribute = name.slice(CLOUDEVENT_HEADER_PREFIX.length);
      if (!CLOUDEVENT_OWN_ATTRIBUTES.has(attribute)) extensions[attribute] = decoder.decode(bytes);
    } else if (name !== CONTENT_TYPE_HEADER) {
      headers.set(name, bytes);
    }
  }
  const p = CLOUDEVENT_HEADER_PREFIX;
  const event: CloudEvent = {
    id: text(`${p}id`),
    type: text(`${p}type`),
    source: text(`${p}source`),
    time: text(`${p}time`),
    dataContentType: text(CONTENT_TYPE_HEADER),
    data: data ?? EMPTY,
    extensions,
  };
  return { event, headers };
}
