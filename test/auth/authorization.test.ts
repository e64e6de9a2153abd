import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../src/auth/index.ts';
import { connect } from '../../src/client/index.ts';
import { keyedClients } from '../support/auth.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { SecurityDir } from '../support/security.ts';

const KEYS = { alice: 'alice-key-5b0c7f3e9d21a4', bob: 'bob-key-8e2d4a6c1f9b03', carol: 'carol-key-3f7a9c2e5d1b80', dave: 'dave-key-6c2e8a0f4b7d19' };
const ALICE_RULE = { principals: ['key:alice'], actions: ['publish', 'subscribe', 'ack', 'read-offsets'], topics: ['orders.*'], groups: ['billing*'] };
const BOB_RULE = { principals: ['key:bob'], actions: ['publish', 'subscribe', 'ack'], topics: ['orders.*'], groups: ['billing*'] };
const CAROL_RULE = { principals: ['key:carol'], actions: ['publish'], topics: ['orders.eu'] };
// Dave may consume `shop` but not its retry topic.
const DAVE_RULE = { principals: ['key:dave'], actions: ['publish', 'subscribe', 'ack'], topics: ['shop'], groups: ['billing'] };

function securityFile(rules: object[]) {
  return {
    authentication: { apiKeys: Object.entries(KEYS).map(([name, key]) => ({ name, sha256: apiKeyHash(key) })) },
    rules,
  };
}

describe('authorization over gRPC', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let file: string;
  const keyed = keyedClients(KEYS, () => gateway.address);
  const as = keyed.as;

  beforeAll(async () => {
    file = dir.write('security.json', securityFile([ALICE_RULE, BOB_RULE, CAROL_RULE, DAVE_RULE]));
    gateway = await startTestGateway({ SECURITY_FILE: file, MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    keyed.close();
    await gateway?.stop();
    dir.remove();
  });

  it('denies by default and names the action and the resource', async () => {
    const carol = as('carol');
    expect((await carol.publish({ topic: 'orders.eu', value: Buffer.from('x') })).topic).toBe('orders.eu');
    const cases: Array<[Promise<unknown>, string]> = [
      [carol.publish({ topic: 'orders.us', value: Buffer.from('x') }), 'not allowed to publish topic "orders.us"'],
      [carol.getOffsets({ topic: 'orders.eu', group: 'billing' }), 'not allowed to read-offsets topic "orders.eu" group "billing"'],
      [carol.getEndOffsets({ topic: 'orders.eu' }), 'not allowed to read-offsets topic "orders.eu"'],
      [carol.ack({ topic: 'orders.eu', group: 'billing', partition: 0, offset: '1' }), 'not allowed to ack topic "orders.eu" group "billing"'],
      [as('alice').getOffsets({ topic: 'orders.eu', group: 'payroll' }), 'not allowed to read-offsets topic "orders.eu" group "payroll"'],
    ];
    for (const [call, message] of cases) expect(await failure(call)).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: message });
    const subscribe = carol.subscribe({ topic: 'orders.eu', group: 'billing' });
    expect(await subscribe.status).toEqual({ code: grpc.status.PERMISSION_DENIED, details: 'not allowed to subscribe topic "orders.eu" group "billing"' });
  });

  it('checks the stateless Ack against the group, by its name without the version', async () => {
    const alice = as('alice');
    await alice.ack({ topic: 'orders.acks', group: 'billing', partition: 0, offset: '5' });
    await alice.ack({ topic: 'orders.acks', group: 'billing-v2', partition: 0, offset: '6' });
    expect((await alice.getOffsets({ topic: 'orders.acks', group: 'billing' })).offsets).toEqual({ 0: '5' });
    expect((await failure(alice.ack({ topic: 'orders.acks', group: 'payroll', partition: 0, offset: '5' })))?.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('Nack needs ack on the topic and group; the copy goes to the group\'s retry topic, whatever the caller may publish to', async () => {
    const nack = { topic: 'orders.eu', group: 'billing', partition: 0, offset: '0', value: Buffer.from('x'), reason: 'failed' };
    expect(await failure(as('carol').nack(nack))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'not allowed to ack topic "orders.eu" group "billing"' });
    expect(await failure(as('alice').nack({ ...nack, group: 'payroll' }))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await as('bob').nack(nack)).toMatchObject({ topic: 'orders.eu.billing.retry', attempt: 2, deadLettered: false });
  });

  it('a client subscription with retry fails, naming the retry topic, when the principal may not consume it', async () => {
    const client = connect(gateway.address, { token: KEYS.dave });
    try {
      const subscription = client.subscribe({ topic: 'shop', group: 'billing', retry: {}, reconnect: false });
      const error = await subscription.each(() => undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'not allowed to subscribe topic "shop.billing.retry" group "billing"' });
    } finally {
      await client.close();
    }
  });

  it("never lets one principal ack or receive through another's session", async () => {
    const alice = as('alice');
    const bob = as('bob');
    await alice.publish({ topic: 'orders.sessions', value: Buffer.from('r0') });
    const subscription = alice.subscribe({ topic: 'orders.sessions', group: 'billing-sessions' });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const stolenAck = await failure(bob.ack({ assignment, offset: '1' }));
    expect(stolenAck?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(stolenAck?.details).toMatch(/^not allowed to ack session ".+" \(it belongs to another principal\)$/);
    const stolenReceive = bob.receive({ assignment });
    expect((await stolenReceive.status).code).toBe(grpc.status.PERMISSION_DENIED);
    // The owner still can.
    const own = alice.receive({ assignment });
    await own.take(1);
    await alice.ack({ assignment, offset: '1' });
    expect((await alice.getOffsets({ topic: 'orders.sessions', group: 'billing-sessions' })).offsets).toEqual({ 0: '1' });
    subscription.cancel();
  });


  it('checks the batched RPCs as their per-record forms: every topic of a PublishBatch, the session owner of a ReceiveBatch', async () => {
    const alice = as('alice');
    const bob = as('bob');
    const carol = as('carol');
    // Carol may publish orders.eu only: one other topic anywhere in the batch refuses the whole call, naming that record.
    const refused = await failure(
      carol.publishBatch({ records: [{ topic: 'orders.eu', value: Buffer.from('a') }, { topic: 'orders.eu', value: Buffer.from('b') }, { topic: 'orders.us', value: Buffer.from('c') }] }),
    );
    expect(refused).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'not allowed to publish topic "orders.us"' });
    expect((await alice.getEndOffsets({ topic: 'orders.us' })).offsets).toEqual({});
    const written = await carol.publishBatch({ records: [{ topic: 'orders.eu', value: Buffer.from('a') }, { topic: 'orders.eu', value: Buffer.from('b') }] });
    expect(written.results.map((r) => r.topic)).toEqual(['orders.eu', 'orders.eu']);

    await alice.publishBatch({ records: [{ topic: 'orders.batched', value: Buffer.from('r0') }, { topic: 'orders.batched', value: Buffer.from('r1') }] });
    const subscription = alice.subscribe({ topic: 'orders.batched', group: 'billing-batched' });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const stolen = bob.receiveBatch({ request: { assignment } });
    expect(await stolen.status).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((await stolen.status).details).toMatch(/^not allowed to subscribe session ".+" \(it belongs to another principal\)$/);
    const own = alice.receiveBatch({ request: { assignment } });
    expect((await own.take(2)).map((r) => Buffer.from(r.record!.value).toString())).toEqual(['r0', 'r1']);
    subscription.cancel();
  });
  it('ends streams whose permission a reloaded file revokes with PERMISSION_DENIED, and leaves the others open', async () => {
    const alice = as('alice');
    const bob = as('bob');
    await alice.publish({ topic: 'orders.revoke', value: Buffer.from('r0') });
    const aliceSubscription = alice.subscribe({ topic: 'orders.revoke', group: 'billing-a' });
    const bobSubscription = bob.subscribe({ topic: 'orders.revoke', group: 'billing-b' });
    const [aliceAssignment] = await aliceSubscription.until((a) => a.length === 1);
    const [bobAssignment] = await bobSubscription.until((a) => a.length === 1);
    const aliceReceive = alice.receive({ assignment: aliceAssignment });
    const bobReceive = bob.receive({ assignment: bobAssignment });
    await aliceReceive.take(1);
    await bobReceive.take(1);

    dir.write('security.json', securityFile([BOB_RULE, CAROL_RULE, DAVE_RULE])); // alice loses everything

    expect(await aliceSubscription.status).toEqual({ code: grpc.status.PERMISSION_DENIED, details: 'not allowed to subscribe topic "orders.revoke" group "billing-a"' });
    expect((await aliceReceive.status).code).toBe(grpc.status.PERMISSION_DENIED);
    // Bob's streams were not dropped: they still deliver.
    await bob.publish({ topic: 'orders.revoke', value: Buffer.from('r1') });
    await bobReceive.take(2);
    expect((await failure(alice.publish({ topic: 'orders.revoke', value: Buffer.from('x') })))?.code).toBe(grpc.status.PERMISSION_DENIED);
    bobSubscription.cancel();

    dir.write('security.json', securityFile([ALICE_RULE, BOB_RULE, CAROL_RULE, DAVE_RULE]));
  });
});
