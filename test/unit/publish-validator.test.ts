import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Envelope } from '../../src/contracts/index.ts';
import { PublishValidator, type SchemaRule } from '../../src/validation/index.ts';
import { bytes, envelope } from '../support/records.ts';

const order = { type: 'object', required: ['id', 'amount'], properties: { id: { type: 'string' }, amount: { type: 'number', minimum: 0 } } };
const created = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };
const rules: SchemaRule[] = [
  { topic: 'orders', eventType: undefined, path: '/schemas/order.json', name: 'order.json', schema: order },
  { topic: 'events.*', eventType: 'order.created', path: '/schemas/created.json', name: 'created.json', schema: created },
];

function event(topic: string, type: string, data: string): Envelope {
  return { topic, key: null, value: null, headers: new Map(), event: { id: '1', type, source: 's', time: '', dataContentType: 'application/json', data: bytes(data), extensions: {} } };
}

function refusal(check: () => void): InvalidArgumentError {
  try {
    check();
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err;
    throw err;
  }
  throw new Error('the record was accepted');
}

describe('PublishValidator', () => {
  const validator = new PublishValidator(rules);

  it('accepts records that match and records of topics without a schema, JSON or not', () => {
    validator.check(envelope('orders', '{"id":"a","amount":3}'));
    validator.check(envelope('payments', 'not json'));
    validator.check(event('events.eu', 'order.created', '{"orderId":"x"}'));
    validator.check(event('events.eu', 'order.shipped', 'anything'));
  });

  it('refuses a record naming the field, the JSON pointer, the rule and its schema path', () => {
    const err = refusal(() => validator.check(envelope('orders', '{"id":"a","amount":-1}'), 'records[2].'));
    expect(err.field).toBe('records[2].value');
    expect(err.message).toContain('at /amount');
    expect(err.message).toContain('rule "minimum" at #/properties/amount/minimum in order.json');
    expect(err.message).toContain('must be >= 0');
  });

  it('picks the schema of a CloudEvent by its type on topics matched by a glob', () => {
    const err = refusal(() => validator.check(event('events.us', 'order.created', '{"orderId":7}')));
    expect(err.field).toBe('liiklusEvent.data');
    expect(err.message).toMatch(/event type "order.created" on topic "events.us" at \/orderId: must be string \(rule "type"/);
  });

  it('refuses a value that is not JSON on a topic with a schema, and a missing property at the root', () => {
    expect(refusal(() => validator.check(envelope('orders', '{oops'))).message).toContain('value: is not JSON');
    expect(refusal(() => validator.check(envelope('orders', '{"id":"a"}'))).message).toContain("at /: must have required property 'amount' (rule \"required\"");
  });

  it('refuses a schema Ajv cannot compile at load, naming the entry', () => {
    expect(() => new PublishValidator([{ topic: 't', eventType: undefined, path: '/bad.json', name: 'bad.json', schema: { type: 'object', properties: 3 } }])).toThrow(/schemas\[0\]\.schema: \/bad\.json/);
  });
});
