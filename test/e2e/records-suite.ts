import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiveReplyMessage } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { uniqueName } from '../support/records.ts';

const buf = (s: string) => Buffer.from(s);

function writeJson(path: string, value: unknown): void {
  // Written beside and renamed, as editors and ConfigMaps do: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  renameSync(`${path}.tmp`, path);
}

/**
 * What happens to a record (issue 12) over real gRPC: schema validation on
 * publish, filters on receive. Run once per store combination.
 */
export function describeRecordFeatures(label: string, env: () => Record<string, string>): void {
  describe(`records e2e: ${label}`, () => {
    let gateway: TestGateway;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-schemas-'));
    const ordersTopic = uniqueName('orders');
    const eventsPrefix = uniqueName('events');
    const orderSchema = { type: 'object', required: ['id', 'amount'], properties: { id: { type: 'string' }, amount: { type: 'number', minimum: 0 } } };
    const createdSchema = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };

    beforeAll(async () => {
      writeJson(join(dir, 'order.json'), orderSchema);
      writeJson(join(dir, 'created.json'), createdSchema);
      writeJson(join(dir, 'schemas.json'), {
        schemas: [
          { topic: ordersTopic, schema: 'order.json' },
          { topic: `${eventsPrefix}.*`, eventType: 'order.created', schema: 'created.json' },
        ],
      });
      gateway = await startTestGateway({ MEMORY_PARTITIONS: '4', KAFKA_TOPIC_PARTITIONS: '4', VALIDATION_SCHEMAS_FILE: join(dir, 'schemas.json'), ...env() });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    async function endOffsets(topic: string): Promise<Record<string, string>> {
      return (await gateway.client.getEndOffsets({ topic })).offsets;
    }

    describe('validation on publish', () => {
      it('refuses an invalid record with INVALID_ARGUMENT naming the field, the JSON pointer and the rule; nothing is written', async () => {
        const client = gateway.client;
        await client.publish({ topic: ordersTopic, key: buf('k'), value: buf('{"id":"a","amount":1}') });
        const before = await endOffsets(ordersTopic);
        const err = await failure(client.publish({ topic: ordersTopic, key: buf('k'), value: buf('{"id":"a","amount":-5}') }));
        expect(err?.code).toBe(status.INVALID_ARGUMENT);
        expect(err?.details).toMatch(/^value: does not match the schema of topic ".*" at \/amount: must be >= 0 \(rule "minimum" at #\/properties\/amount\/minimum/);
        const notJson = await failure(client.publish({ topic: ordersTopic, key: buf('k'), value: buf('amount=3') }));
        expect(notJson?.details).toMatch(/^value: is not JSON/);
        expect(await endOffsets(ordersTopic)).toEqual(before);
      });

      it('checks CloudEvents by type on topics matched by a glob; other types and other topics pass untouched', async () => {
        const client = gateway.client;
        const topic = `${eventsPrefix}.eu`;
        const event = (type: string, data: string) => ({ id: uniqueName('e'), type, source: '/test', data: buf(data), dataContentType: 'application/json' });
        const err = await failure(client.publish({ topic, liiklusEvent: event('order.created', '{"orderId":42}') }));
        expect(err?.code).toBe(status.INVALID_ARGUMENT);
        expect(err?.details).toMatch(/^liiklusEvent\.data: does not match the schema of event type "order.created" .* at \/orderId: must be string \(rule "type"/);
        await client.publish({ topic, liiklusEvent: event('order.created', '{"orderId":"42"}') });
        await client.publish({ topic, liiklusEvent: event('order.paid', 'not json at all') });
        await client.publish({ topic: uniqueName('free'), value: buf('not json') });
      });

      it('reloads the schemas when a schema file changes, without a restart', async () => {
        const client = gateway.client;
        const valid = { topic: ordersTopic, value: buf('{"id":"b","amount":2}') };
        await client.publish(valid);
        writeJson(join(dir, 'order.json'), { ...orderSchema, properties: { ...orderSchema.properties, amount: { type: 'number', minimum: 10 } } });
        let err = null;
        for (let attempt = 0; attempt < 100 && err === null; attempt++) {
          err = await failure(client.publish(valid));
          if (err === null) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(err?.details).toContain('must be >= 10');
        writeJson(join(dir, 'order.json'), orderSchema);
        for (let attempt = 0; attempt < 100 && err !== null; attempt++) {
          err = await failure(client.publish(valid));
          if (err !== null) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(err).toBeNull();
      });
    });

    describe('filters on receive', () => {
      // An event received in format BINARY is its CloudEvents JSON document (Liiklus's structured mode).
      const payload = (value: Buffer): string => {
        const text = value.toString();
        if (!text.startsWith('{"specversion"')) return text;
        return String((JSON.parse(text) as { data: unknown }).data);
      };
      const offsetOf = (reply: ReceiveReplyMessage) => BigInt((reply.record ?? reply.skipped)!.offset);

      /**
       * Subscribes with `filter`, reads every partition until the gateway has
       * gone past the partition's end (a record or a skip marker at the end
       * offset), acking what it reads the way a client does, and returns the
       * values received and every reply.
       */
      async function receiveAll(topic: string, group: string, filter: object) {
        const client = gateway.client;
        const ends = await endOffsets(topic);
        const subscription = client.subscribe({ topic, group, filter });
        const assignments = await subscription.until((a) => new Set(a.map((x) => x.partition)).size === 4);
        const replies: ReceiveReplyMessage[] = [];
        for (const [partition, end] of Object.entries(ends)) {
          const assignment = assignments.filter((a) => a.partition === Number(partition)).at(-1)!;
          const stream = client.receive({ assignment });
          const read = await stream.until((all) => all.length > 0 && offsetOf(all.at(-1)!) >= BigInt(end));
          for (const reply of read) await client.ack({ topic, group, partition: Number(partition), offset: offsetOf(reply).toString() });
          replies.push(...read);
          stream.cancel();
        }
        subscription.cancel();
        return { replies, values: replies.flatMap((r) => (r.record ? [payload(r.record.value)] : [])).sort(), ends };
      }

      async function expectLagZero(topic: string, group: string, ends: Record<string, string>) {
        const acked = (await gateway.client.getOffsets({ topic, group })).offsets;
        expect(acked).toEqual(ends);
      }

      it('delivers exactly the records matching every condition (event type prefix AND header), and the lag reaches 0', async () => {
        const client = gateway.client;
        const topic = uniqueName('filtered');
        const expected: string[] = [];
        for (let i = 0; i < 40; i++) {
          const type = ['order.created', 'order.paid', 'invoice.sent'][i % 3]!;
          const region = i % 4 < 2 ? 'eu' : 'us';
          const data = `${i}-${type}-${region}`;
          await client.publish({
            topic,
            key: buf(`k${i % 5}`),
            headers: { region: buf(region) },
            liiklusEvent: { id: `e${i}`, type, source: '/test', dataContentType: 'text/plain', data: buf(data) },
          });
          if (type.startsWith('order.') && region === 'eu') expected.push(data);
        }
        // Raw records (not events) never match an event type condition.
        await client.publish({ topic, key: buf('k1'), headers: { region: buf('eu') }, value: buf('raw') });
        const group = uniqueName('g');
        const { values, replies, ends } = await receiveAll(topic, group, { eventTypePrefix: 'order.', headers: { region: buf('eu') } });
        expect(values).toEqual(expected.sort());
        expect(replies.some((r) => r.reply === 'skipped')).toBe(true);
        // Far fewer markers than records skipped: at most one per batch pulled.
        expect(replies.filter((r) => r.reply === 'skipped').length).toBeLessThan(41 - expected.length);
        await expectLagZero(topic, group, ends);
      });

      it('moves the position past records when none match (markers only), by event type and by key prefix', async () => {
        const client = gateway.client;
        const topic = uniqueName('nomatch');
        for (let i = 0; i < 20; i++) await client.publish({ topic, key: buf(`user-${i}`), liiklusEvent: { id: `e${i}`, type: 'a.b', source: '/t', data: buf(String(i)) } });
        const none = uniqueName('g');
        const nothing = await receiveAll(topic, none, { eventType: 'a.bc' });
        expect(nothing.values).toEqual([]);
        expect(nothing.replies.every((r) => r.reply === 'skipped')).toBe(true);
        await expectLagZero(topic, none, nothing.ends);

        const byKey = uniqueName('g');
        const some = await receiveAll(topic, byKey, { keyPrefix: buf('user-1'), eventType: 'a.b' });
        expect(some.values).toEqual(['1', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19'].sort());
        await expectLagZero(topic, byKey, some.ends);
      });

      it('sends no markers to a subscription without a filter, and refuses a header condition without a name', async () => {
        const client = gateway.client;
        const topic = uniqueName('plain');
        const sent = await client.publish({ topic, key: buf('k'), value: buf('v') });
        const group = uniqueName('g');
        const all = await receiveAll(topic, group, {});
        expect(all.replies.map((r) => r.reply)).toEqual(['record']);
        expect(all.ends).toEqual({ [String(sent.partition)]: sent.offset });
        const refused = client.subscribe({ topic, group: uniqueName('g'), filter: { headers: { '': buf('x') } } });
        const refusal = await refused.status;
        expect(refusal.code).toBe(status.INVALID_ARGUMENT);
        expect(refusal.details).toMatch(/^filter\.headers: /);
      });
    });
  });
}
