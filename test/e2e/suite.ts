import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assignment, ReceiveStream, TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { heldPartitions } from '../support/assignments.ts';

/** Partitions per topic in every store the suite runs on. */
export const PARTITIONS = 4;

const buf = (s: string) => Buffer.from(s);
const partitionsOf = (assignments: Assignment[]) => [...new Set(assignments.map((a) => a.partition))].sort((a, b) => a - b);
const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);

/**
 * How the suite publishes and receives: one record per call and per message
 * (Publish, Receive: what a Liiklus client does), or the batched RPCs
 * (PublishBatch, ReceiveBatch), which must keep every rule the same.
 */
export type WireMode = 'per-record' | 'batched';
export const WIRE_MODES: readonly WireMode[] = ['per-record', 'batched'];

/**
 * Every rule of the gateway's semantics (DESIGN.md section 3), over real gRPC
 * with a client generated from proto/. Run once per store combination and
 * wire mode.
 */
export function describeGateway(label: string, env: () => Record<string, string>): void {
  for (const mode of WIRE_MODES) describeGatewayIn(mode, label, env);
}

function describeGatewayIn(mode: WireMode, label: string, env: () => Record<string, string>): void {
  /** How a field of a published record is named in errors: PublishBatch names the record's index. */
  const published = (field: string) => (mode === 'batched' ? `records\\[0\\]\\.${field}` : field);
  describe(`gateway e2e (${mode}): ${label}`, () => {
    let gateway: TestGateway;
    let client: TestClient;
    beforeAll(async () => {
      gateway = await startTestGateway({ MEMORY_PARTITIONS: String(PARTITIONS), KAFKA_TOPIC_PARTITIONS: String(PARTITIONS), ...env() });
      client = gateway.client;
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    /** Publishes `count` values under `key` and returns the partition they landed in. */
    async function publishKeyed(topic: string, key: string, values: string[]) {
      const replies = [];
      for (const value of values) replies.push(await publish({ topic, key: buf(key), value: buf(value) }));
      return replies;
    }

    async function subscribeAll(topic: string, group: string, extra: object = {}) {
      const subscription = client.subscribe({ topic, group, ...extra });
      await subscription.until((a) => partitionsOf(a).length === PARTITIONS);
      return subscription;
    }

    function receive(assignment: Assignment, extra: object = {}): ReceiveStream {
      return mode === 'batched' ? client.receiveBatch({ request: { assignment, ...extra } }) : client.receive({ assignment, ...extra });
    }

    function publish(request: object): Promise<{ topic: string; partition: number; offset: string }> {
      if (mode === 'per-record') return client.publish(request);
      return client.publishBatch({ records: [request] }).then((reply) => reply.results[0]!);
    }

    const assignmentFor = (assignments: Assignment[], partition: number) => {
      const found = assignments.filter((a) => a.partition === partition).at(-1);
      if (!found) throw new Error(`no assignment for partition ${partition}`);
      return found;
    };

    it('Publish: the same key always lands in the same partition; keyless records spread', async () => {
      const topic = uniqueName('pub');
      const keyed = await publishKeyed(topic, 'user-42', ['a', 'b', 'c', 'd']);
      expect(new Set(keyed.map((r) => r.partition)).size).toBe(1);
      expect(keyed.map((r) => BigInt(r.offset))).toEqual([0n, 1n, 2n, 3n].map((i) => BigInt(keyed[0]!.offset) + i));
      expect(keyed.every((r) => r.topic === topic)).toBe(true);
      const keyless = [];
      for (let i = 0; i < 16; i++) keyless.push(await publish({ topic, value: buf(`v${i}`) }));
      expect(new Set(keyless.map((r) => r.partition)).size).toBeGreaterThan(1);
    });

    it('Subscribe: one member gets an assignment for every partition, with one session id', async () => {
      const topic = uniqueName('sub');
      await publish({ topic, value: buf('x') });
      const subscription = await subscribeAll(topic, uniqueName('g'));
      expect(partitionsOf(subscription.assignments)).toEqual(ALL);
      expect(new Set(subscription.assignments.map((a) => a.sessionId)).size).toBe(1);
      subscription.cancel();
    });

    it('Subscribe: members of one group share the partitions with none given to two at once; leaving moves them', async () => {
      const topic = uniqueName('split');
      await publish({ topic, value: buf('x') });
      const group = uniqueName('g');
      const first = await subscribeAll(topic, group);
      const second = client.subscribe({ topic, group });
      await second.until((a) => a.length > 0);
      // Rebalancing settles asynchronously (on Kafka it takes a group round
      // trip): probe until each partition is held by exactly one member.
      let split: [number[], number[]] = [[], []];
      for (let attempt = 0; attempt < 40; attempt++) {
        split = [await heldPartitions(client, first), await heldPartitions(client, second)];
        if (split[0].length > 0 && split[1].length > 0 && split[0].length + split[1].length === PARTITIONS) break;
      }
      expect(split[0].filter((p) => split[1].includes(p))).toEqual([]);
      expect([...split[0], ...split[1]].sort((a, b) => a - b)).toEqual(ALL);
      second.cancel();
      let after: number[] = [];
      for (let attempt = 0; attempt < 40 && after.length < PARTITIONS; attempt++) after = await heldPartitions(client, first);
      expect(after).toEqual(ALL);
      first.cancel();
    });

    it('Receive: starts at auto_offset_reset EARLIEST by default and streams in offset order', async () => {
      const topic = uniqueName('earliest');
      const [first] = await publishKeyed(topic, 'k', ['r0', 'r1', 'r2']);
      const subscription = await subscribeAll(topic, uniqueName('g'));
      const stream = receive(assignmentFor(subscription.assignments, first!.partition));
      const replies = await stream.take(3);
      expect(replies.map((r) => r.record!.value.toString())).toEqual(['r0', 'r1', 'r2']);
      expect(replies.map((r) => BigInt(r.record!.offset))).toEqual([0n, 1n, 2n]);
      expect(replies.every((r) => r.reply === 'record' && r.record!.key.toString() === 'k' && !r.record!.replay)).toBe(true);
      expect(Number(replies[0]!.record!.timestamp.seconds)).toBeGreaterThan(Date.now() / 1000 - 120);
      subscription.cancel();
      expect((await stream.status).code).toBe(status.OK);
    });

    it('Receive: auto_offset_reset LATEST skips what was written before the subscription', async () => {
      const topic = uniqueName('latest');
      const [old] = await publishKeyed(topic, 'k', ['old']);
      const subscription = await subscribeAll(topic, uniqueName('g'), { autoOffsetReset: 'LATEST' });
      const stream = receive(assignmentFor(subscription.assignments, old!.partition));
      // The stream is positioned asynchronously: publish until a record arrives.
      let sent = 0;
      while (stream.replies.length === 0 && sent < 100) {
        await publishKeyed(topic, 'k', [`new${sent++}`]);
        await Promise.race([stream.take(1).catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
      }
      const [reply] = await stream.take(1);
      expect(reply!.record!.value.toString()).toMatch(/^new/);
      expect(BigInt(reply!.record!.offset)).toBeGreaterThan(BigInt(old!.offset));
      subscription.cancel();
    });

    it('Receive: a new subscription resumes at the acked position + 1 (at-least-once)', async () => {
      const topic = uniqueName('resume');
      const group = uniqueName('g');
      const [first] = await publishKeyed(topic, 'k', ['r0', 'r1', 'r2', 'r3', 'r4']);
      const partition = first!.partition;
      const one = await subscribeAll(topic, group);
      const stream = receive(assignmentFor(one.assignments, partition));
      const replies = await stream.take(5);
      await client.ack({ topic, group, partition, offset: replies[1]!.record!.offset });
      one.cancel();
      await stream.status;

      const two = await subscribeAll(topic, group);
      const resumed = await receive(assignmentFor(two.assignments, partition)).take(3);
      expect(resumed.map((r) => r.record!.value.toString())).toEqual(['r2', 'r3', 'r4']);
      two.cancel();
    });

    it('Receive: marks records at or below the highest offset any group version acked as replay', async () => {
      const topic = uniqueName('replay');
      const group = uniqueName('g');
      const [first] = await publishKeyed(topic, 'k', ['r0', 'r1', 'r2', 'r3']);
      const partition = first!.partition;
      await client.ack({ topic, group, groupVersion: 1, partition, offset: '1' });
      // Version 2 has no position of its own: it reads from earliest, and
      // what version 1 already acked is a replay.
      const subscription = await subscribeAll(topic, group, { groupVersion: 2 });
      const replies = await receive(assignmentFor(subscription.assignments, partition)).take(4);
      expect(replies.map((r) => [r.record!.value.toString(), r.record!.replay])).toEqual([
        ['r0', true],
        ['r1', true],
        ['r2', false],
        ['r3', false],
      ]);
      subscription.cancel();
    });

    it('Receive: skips records at or below last_known_offset', async () => {
      const topic = uniqueName('lko');
      const [first] = await publishKeyed(topic, 'k', ['r0', 'r1', 'r2', 'r3']);
      const subscription = await subscribeAll(topic, uniqueName('g'));
      const replies = await receive(assignmentFor(subscription.assignments, first!.partition), { lastKnownOffset: '1' }).take(2);
      expect(replies.map((r) => r.record!.value.toString())).toEqual(['r2', 'r3']);
      subscription.cancel();
    });

    it('Ack: the stateless form stores the position and the last ack wins (10, 200, 100 leaves 100)', async () => {
      const topic = uniqueName('ack');
      const group = uniqueName('g');
      for (const offset of ['10', '200', '100']) await client.ack({ topic, group, partition: 3, offset });
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({ 3: '100' });
    });

    it('Ack: the assignment form (session id + partition) stores the position of the session group', async () => {
      const topic = uniqueName('ack-session');
      const group = uniqueName('g');
      await publish({ topic, value: buf('x') });
      const subscription = await subscribeAll(topic, group, { groupVersion: 3 });
      const assignment = subscription.assignments[0]!;
      await client.ack({ assignment, offset: '7' });
      expect((await client.getOffsets({ topic, group, groupVersion: 3 })).offsets).toEqual({ [assignment.partition]: '7' });
      subscription.cancel();
    });

    it('Ack: offsets keep full uint64 precision', async () => {
      const topic = uniqueName('big');
      const group = uniqueName('g');
      await client.ack({ topic, group, partition: 0, offset: '18446744073709551615' });
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({ 0: '18446744073709551615' });
    });

    it('Group versions: group "name-vN" with version 0 means version N of "name"; versions keep separate positions', async () => {
      const topic = uniqueName('versions');
      const group = uniqueName('g');
      await client.ack({ topic, group: `${group}-v2`, partition: 0, offset: '5' });
      await client.ack({ topic, group, groupVersion: 3, partition: 0, offset: '9' });
      expect((await client.getOffsets({ topic, group, groupVersion: 2 })).offsets).toEqual({ 0: '5' });
      expect((await client.getOffsets({ topic, group: `${group}-v3` })).offsets).toEqual({ 0: '9' });
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({});
    });

    it('Group versions: a version-0 subscription resumes from the lowest version stored', async () => {
      const topic = uniqueName('lowest');
      const group = uniqueName('g');
      const [first] = await publishKeyed(topic, 'k', ['r0', 'r1', 'r2', 'r3', 'r4']);
      const partition = first!.partition;
      await client.ack({ topic, group, groupVersion: 2, partition, offset: '0' });
      await client.ack({ topic, group, groupVersion: 5, partition, offset: '3' });
      const subscription = await subscribeAll(topic, group);
      const [reply] = await receive(assignmentFor(subscription.assignments, partition)).take(1);
      expect(reply!.record!.value.toString()).toBe('r1');
      subscription.cancel();
    });

    it('GetEndOffsets: the offset of the last record written per partition', async () => {
      const topic = uniqueName('end');
      const last = new Map<number, string>();
      for (let i = 0; i < 12; i++) {
        const reply = await publish({ topic, key: buf(`key-${i % 5}`), value: buf('x') });
        last.set(reply.partition, reply.offset);
      }
      const { offsets } = await client.getEndOffsets({ topic });
      expect(offsets).toEqual(Object.fromEntries(last));
    });

    it('GetOffsets: partition -> acked offset for one group version', async () => {
      const topic = uniqueName('offsets');
      const group = uniqueName('g');
      await client.ack({ topic, group, partition: 0, offset: '4' });
      await client.ack({ topic, group, partition: 2, offset: '8' });
      await client.ack({ topic, group, groupVersion: 1, partition: 1, offset: '99' });
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({ 0: '4', 2: '8' });
    });

    it('Publish/Receive: a raw value with headers comes back as BINARY; an event as LIIKLUS_EVENT or BINARY', async () => {
      const topic = uniqueName('formats');
      const event = await publish({
        topic,
        key: buf('same'),
        liiklusEvent: {
          id: 'evt-1',
          type: 'com.example.thing',
          source: '/e2e',
          time: '2026-11-23T10:00:00Z',
          dataContentType: 'application/json',
          data: buf('{"n":1}'),
          extensions: { tenant: 'acme' },
        },
      });
      const raw = await publish({ topic, key: buf('same'), value: buf('raw-value'), headers: { trace: buf('abc') } });
      expect(raw.partition).toBe(event.partition);
      const subscription = await subscribeAll(topic, uniqueName('g'));
      const assignment = assignmentFor(subscription.assignments, raw.partition);

      const binary = await receive(assignment).take(2);
      expect(binary.map((r) => r.reply)).toEqual(['record', 'record']);
      // An event in BINARY: the whole event as a CloudEvents JSON document (structured mode), as Liiklus does.
      expect(JSON.parse(binary[0]!.record!.value.toString())).toEqual({
        specversion: '1.0',
        id: 'evt-1',
        type: 'com.example.thing',
        source: '/e2e',
        time: '2026-11-23T10:00:00Z',
        datacontenttype: 'application/json',
        tenant: 'acme',
        data: { n: 1 },
      });
      expect(binary[1]!.record!.value.toString()).toBe('raw-value');
      // Sluice's cloudevents_binary_mode (field 1000): the data alone, the attributes as ce_* headers.
      const [dataOnly] = await receive(assignment, { cloudeventsBinaryMode: true }).take(1);
      expect(dataOnly!.record!.value.toString()).toBe('{"n":1}');
      expect(Object.fromEntries(Object.entries(dataOnly!.record!.headers).map(([k, v]) => [k, v.toString()]))).toMatchObject({
        ce_id: 'evt-1',
        ce_type: 'com.example.thing',
        ce_source: '/e2e',
        ce_specversion: '1.0',
        ce_time: '2026-11-23T10:00:00Z',
        ce_tenant: 'acme',
        'content-type': 'application/json',
      });
      expect(binary[1]!.record!.headers.trace!.toString()).toBe('abc');

      const events = receive(assignment, { format: 'LIIKLUS_EVENT' });
      const [reply] = await events.take(1);
      expect(reply!.reply).toBe('liiklusEventRecord');
      expect(reply!.liiklusEventRecord!.offset).toBe(event.offset);
      expect(reply!.liiklusEventRecord!.key.toString()).toBe('same');
      expect(reply!.liiklusEventRecord!.event).toMatchObject({
        id: 'evt-1',
        type: 'com.example.thing',
        source: '/e2e',
        dataContentType: 'application/json',
        extensions: { tenant: 'acme' },
      });
      expect(new Date(reply!.liiklusEventRecord!.event.time).toISOString()).toBe('2026-11-23T10:00:00.000Z');
      expect(reply!.liiklusEventRecord!.event.data.toString()).toBe('{"n":1}');
      // A raw record cannot be shown as an event: the stream says so and where.
      const st = await events.status;
      expect(st.code).toBe(status.FAILED_PRECONDITION);
      expect(st.details).toMatch(new RegExp(`offset ${raw.offset} .* not an event`));
      subscription.cancel();
    });

    it('Receive ends with OK when the subscription ends', async () => {
      const topic = uniqueName('end-stream');
      await publish({ topic, value: buf('x') });
      const subscription = await subscribeAll(topic, uniqueName('g'));
      const streams = subscription.assignments.map((a) => receive(a));
      subscription.cancel();
      const statuses = await Promise.all(streams.map((s) => s.status));
      expect(statuses.map((s) => s.code)).toEqual(streams.map(() => status.OK));
    });

    if (mode === 'batched') {
      it('PublishBatch: results in request order, one per record, across partitions', async () => {
        const topic = uniqueName('pub-batch');
        const records = Array.from({ length: 40 }, (_, i) => ({ topic, key: buf(`k${i % 5}`), value: buf(`v${i}`) }));
        const { results } = await client.publishBatch({ records });
        expect(results).toHaveLength(40);
        expect(results.every((r) => r.topic === topic)).toBe(true);
        // Per key, one partition and increasing offsets in request order.
        for (let k = 0; k < 5; k++) {
          const mine = results.filter((_, i) => i % 5 === k);
          expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
          const offsets = mine.map((r) => BigInt(r.offset));
          expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
        }
        expect((await client.publishBatch({ records: [] })).results).toEqual([]);
      });

      it('PublishBatch: a bad record fails the call naming its index, and nothing of the call is written', async () => {
        const topic = uniqueName('pub-batch-bad');
        const good = { topic, value: buf('fine') };
        const err = await client.publishBatch({ records: [good, good, { topic: 'no spaces', value: buf('x') }, good] }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^records\[2\]\.topic: /) });
        const event = await client.publishBatch({ records: [good, { topic, liiklusEvent: { id: '', type: 't', source: '/s' } }] }).catch((e: unknown) => e);
        expect(event).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^records\[1\]\.liiklusEvent\.id: /) });
        expect((await client.getEndOffsets({ topic })).offsets).toEqual({});
      });

      it('ReceiveBatch: max_records bounds each message; a backlog comes in full messages and the rest at once', async () => {
        const topic = uniqueName('batch-records');
        const { results } = await client.publishBatch({ records: Array.from({ length: 25 }, (_, i) => ({ topic, key: buf('one'), value: buf(`r${i}`) })) });
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const stream = client.receiveBatch({ request: { assignment: assignmentFor(subscription.assignments, results[0]!.partition) }, maxRecords: 10 });
        const replies = await stream.take(25);
        expect(replies.map((r) => r.record!.value.toString())).toEqual(results.map((_, i) => `r${i}`));
        expect(Math.max(...stream.batchSizes)).toBe(10);
        expect(stream.batchSizes.reduce((a, b) => a + b, 0)).toBe(25);
        stream.cancel();
        subscription.cancel();
      });

      it('ReceiveBatch: messages queued for a client keep their bytes until sent (reply buffers are reused only once written)', async () => {
        const topic = uniqueName('batch-queued');
        // Distinct 2 KiB values; messages of 16 records (32 KiB) queue in grpc-js behind the client's 64 KiB window.
        const value = (i: number) => Buffer.alloc(2048, `${i}:`);
        const { results } = await client.publishBatch({ records: Array.from({ length: 1_000 }, (_, i) => ({ topic, key: buf('one'), value: value(i) })) });
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const stream = client.receiveBatch({ request: { assignment: assignmentFor(subscription.assignments, results[0]!.partition) }, maxRecords: 16 });
        const replies = await stream.take(1_000);
        const wrong = replies.findIndex((r, i) => !r.record!.value.equals(value(i)));
        expect(wrong).toBe(-1);
        stream.cancel();
        subscription.cancel();
      });

      it('ReceiveBatch: max_records 0 is the gateway default, 10,000 records per message', async () => {
        const topic = uniqueName('batch-default');
        for (let i = 0; i < 12; i++) {
          await client.publishBatch({ records: Array.from({ length: 1_000 }, (_, j) => ({ topic, key: buf('one'), value: buf(`r${i * 1_000 + j}`) })) });
        }
        const { offsets } = await client.getEndOffsets({ topic });
        const [partition] = Object.keys(offsets).map(Number);
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const stream = client.receiveBatch({ request: { assignment: assignmentFor(subscription.assignments, partition!) }, maxRecords: 0 });
        const replies = await stream.take(12_000);
        expect(replies.at(-1)!.record!.value.toString()).toBe('r11999');
        expect(Math.max(...stream.batchSizes)).toBeLessThanOrEqual(10_000);
        // A message holds what one pull from the store returned: the Kafka store hands over a whole fetch
        // (the backlog, past the old default of 1,000), the memory store at most 256 records.
        if (env().RECORDS_STORE === 'kafka') expect(Math.max(...stream.batchSizes)).toBeGreaterThan(1_000);
        else expect(Math.max(...stream.batchSizes)).toBe(256);
        stream.cancel();
        subscription.cancel();
      });

      it('ReceiveBatch: max_bytes bounds each message; a record larger than it comes alone', async () => {
        const topic = uniqueName('batch-bytes');
        const kilobyte = Buffer.alloc(1000, 'k');
        const records = [...Array.from({ length: 9 }, () => ({ topic, key: buf('one'), value: kilobyte })), { topic, key: buf('one'), value: Buffer.alloc(5000, 'b') }];
        const { results } = await client.publishBatch({ records });
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const stream = client.receiveBatch({ request: { assignment: assignmentFor(subscription.assignments, results[0]!.partition) }, maxBytes: 3000 });
        const replies = await stream.take(10);
        expect(replies.map((r) => r.record!.value.length)).toEqual(records.map((r) => r.value.length));
        // About 1,030 bytes per reply: at most two fit in 3,000.
        expect(Math.max(...stream.batchSizes)).toBe(2);
        expect(stream.batchSizes.at(-1)).toBe(1);
        stream.cancel();
        subscription.cancel();
      });

      it('ReceiveBatch never waits to fill a message: a lone record arrives alone, at once', async () => {
        const topic = uniqueName('batch-lone');
        const first = await publish({ topic, key: buf('one'), value: buf('before') });
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const stream = client.receiveBatch({ request: { assignment: assignmentFor(subscription.assignments, first.partition) }, maxRecords: 1000 });
        await stream.take(1);
        await publish({ topic, key: buf('one'), value: buf('lone') });
        const replies = await stream.take(2);
        expect(replies[1]!.record!.value.toString()).toBe('lone');
        expect(stream.batchSizes).toEqual([1, 1]);
        stream.cancel();
        subscription.cancel();
      });

      it('ReceiveBatch without its request is INVALID_ARGUMENT naming the field', async () => {
        const st = await client.receiveBatch({}).status;
        expect([st.code, st.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^request: /)]);
        const empty = await client.receiveBatch({ request: { assignment: { sessionId: '', partition: 0 } } }).status;
        expect([empty.code, empty.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^request\.assignment\.session_id: /)]);
      });
    }

    describe('bad input', () => {
      const expectStatus = async (call: Promise<unknown>, code: status, pattern: RegExp) => {
        const err = (await call.then(
          () => null,
          (e: unknown) => e,
        )) as { code: status; details: string } | null;
        expect(err, 'call should fail').not.toBeNull();
        expect(err!.code).toBe(code);
        expect(err!.details).toMatch(pattern);
      };

      it('empty topic is INVALID_ARGUMENT naming the field, on every RPC', async () => {
        await expectStatus(publish({ topic: '', value: buf('x') }), status.INVALID_ARGUMENT, new RegExp(`^${published('topic')}: must not be empty`));
        await expectStatus(client.getEndOffsets({ topic: '' }), status.INVALID_ARGUMENT, /^topic:/);
        await expectStatus(client.getOffsets({ topic: '', group: 'g' }), status.INVALID_ARGUMENT, /^topic:/);
        await expectStatus(client.ack({ topic: '', group: 'g', partition: 0, offset: '1' }), status.INVALID_ARGUMENT, /^topic:/);
        const st = await client.subscribe({ topic: '', group: 'g' }).status;
        expect([st.code, st.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^topic:/)]);
      });

      it('empty group is INVALID_ARGUMENT naming the field', async () => {
        const st = await client.subscribe({ topic: 'fine', group: '' }).status;
        expect([st.code, st.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^group: must not be empty/)]);
        await expectStatus(client.ack({ topic: 'fine', group: '', partition: 0, offset: '1' }), status.INVALID_ARGUMENT, /^group:/);
        await expectStatus(client.getOffsets({ topic: 'fine', group: '' }), status.INVALID_ARGUMENT, /^group:/);
      });

      it('a topic with characters Kafka does not allow is INVALID_ARGUMENT naming the field', async () => {
        for (const topic of ['has space', 'slash/topic', 'ünïcode', 'x'.repeat(250), '..']) {
          await expectStatus(publish({ topic, value: buf('x') }), status.INVALID_ARGUMENT, new RegExp(`^${published('topic')}: `));
        }
      });

      it('an event without its required attributes is INVALID_ARGUMENT naming the field', async () => {
        await expectStatus(
          publish({ topic: 'fine', liiklusEvent: { id: '', type: 't', source: '/s' } }),
          status.INVALID_ARGUMENT,
          new RegExp(`^${published('liiklusEvent\\.id')}:`),
        );
        await expectStatus(
          publish({ topic: 'fine', liiklusEvent: { id: 'i', type: 't', source: '/s', time: 'yesterday' } }),
          status.INVALID_ARGUMENT,
          new RegExp(`^${published('liiklusEvent\\.time')}:`),
        );
      });

      it('Receive or Ack with an unknown session is NOT_FOUND', async () => {
        const st = await receive({ sessionId: 'no-such-session', partition: 0 }).status;
        expect([st.code, st.details]).toEqual([status.NOT_FOUND, expect.stringMatching(/no-such-session/)]);
        await expectStatus(client.ack({ assignment: { sessionId: 'no-such-session', partition: 0 }, offset: '1' }), status.NOT_FOUND, /no-such-session/);
      });

      it('Receive of a partition the session does not hold is NOT_FOUND', async () => {
        const topic = uniqueName('not-held');
        await publish({ topic, value: buf('x') });
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const st = await receive({ sessionId: subscription.assignments[0]!.sessionId, partition: 999 }).status;
        expect([st.code, st.details]).toEqual([status.NOT_FOUND, expect.stringMatching(/partition 999 is not assigned/)]);
        subscription.cancel();
      });

      it('a client that cancels mid-stream leaves the server healthy and the partition readable again', async () => {
        const topic = uniqueName('cancel');
        const published = await publishKeyed(topic, 'k', Array.from({ length: 50 }, (_, i) => `r${i}`));
        const subscription = await subscribeAll(topic, uniqueName('g'));
        const assignment = assignmentFor(subscription.assignments, published[0]!.partition);
        const first = receive(assignment);
        await first.take(5);
        first.cancel();
        expect((await first.status).code).toBe(status.CANCELLED);
        const again = await receive(assignment).take(50);
        expect(again.at(-1)!.record!.value.toString()).toBe('r49');
        subscription.cancel();
        expect((await publish({ topic, value: buf('still-serving') })).topic).toBe(topic);
      });
    });
  });
}
