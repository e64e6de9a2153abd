import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  });
}
