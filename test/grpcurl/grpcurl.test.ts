import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { Child, goTool, run } from '../support/toolchains.ts';

// grpcurl (built from the Go module proxy by scripts/ensure-toolchains.sh)
// against a real gateway through server reflection only: no -proto flag, so a
// reflection regression fails here. Field names are the proto's own
// (snake_case), as the README's calls use them.
const SERVICE = 'com.github.bsideup.liiklus.LiiklusService';
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('grpcurl through server reflection', () => {
  let gateway: TestGateway;
  let grpcurl: string;
  const children: Child[] = [];
  const call = async (method: string, body: object) => {
    const result = await run(grpcurl, ['-plaintext', '-emit-defaults', '-d', JSON.stringify(body), gateway.address, `${SERVICE}/${method}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const stream = (method: string, body: object) => {
    const child = new Child(grpcurl, ['-plaintext', '-emit-defaults', '-d', JSON.stringify(body), gateway.address, `${SERVICE}/${method}`]);
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    grpcurl = goTool('grpcurl');
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    await gateway?.stop();
  });

  it('list and describe show the services and the proto as written', async () => {
    const list = await run(grpcurl, ['-plaintext', gateway.address, 'list']);
    expect(list.stdout.trim().split('\n')).toEqual(expect.arrayContaining([SERVICE, 'grpc.health.v1.Health']));

    const service = await run(grpcurl, ['-plaintext', gateway.address, 'describe', SERVICE]);
    expect(service.code).toBe(0);
    for (const rpc of ['Publish', 'Subscribe', 'Receive', 'Ack', 'GetOffsets', 'GetEndOffsets']) expect(service.stdout).toMatch(new RegExp(`rpc ${rpc} \\(`));

    const subscribe = await run(grpcurl, ['-plaintext', gateway.address, 'describe', 'com.github.bsideup.liiklus.SubscribeRequest']);
    expect(subscribe.stdout).toMatch(/uint32 group_version = 4;/);
    expect(subscribe.stdout).toMatch(/auto_offset_reset = 3;/);
    const record = await run(grpcurl, ['-plaintext', gateway.address, 'describe', 'com.github.bsideup.liiklus.ReceiveReply.Record']);
    expect(record.stdout).toMatch(/map<string, bytes> headers = 1000;/);
  });

  it('one call of each RPC, with snake_case fields: Publish, GetEndOffsets, Subscribe, Receive, Ack, GetOffsets', async () => {
    const topic = uniqueName('grpcurl');
    const group = uniqueName('billing');

    const published = await call('Publish', { topic, key: b64('user-42'), value: b64('hello'), headers: { source: b64('grpcurl') } });
    expect(published).toEqual({ topic, partition: 0, offset: '0' });
    expect(await call('GetEndOffsets', { topic })).toEqual({ offsets: { 0: '0' } });

    const subscription = stream('Subscribe', { topic, group, group_version: 2, auto_offset_reset: 'EARLIEST' });
    const [, sessionId] = await subscription.waitFor(/"sessionId": "([^"]+)"/);

    const receive = stream('Receive', { assignment: { session_id: sessionId, partition: 0 } });
    await receive.waitFor(/"value": "aGVsbG8="/);
    expect(receive.stdout).toContain(`"key": "${b64('user-42')}"`);
    expect(receive.stdout).toMatch(/"source": "Z3JwY3VybA=="/);

    expect(await call('Ack', { topic, group, group_version: 2, partition: 0, offset: '0' })).toEqual({});
    expect(await call('GetOffsets', { topic, group, group_version: 2 })).toEqual({ offsets: { 0: '0' } });

    // Ending the subscription ends the Receive stream with status OK.
    await subscription.stop('SIGTERM');
    const received = await receive.finished;
    expect([received.code, received.stderr]).toEqual([0, '']);
  });

  it('bad input comes back as INVALID_ARGUMENT naming the field', async () => {
    const result = await run(grpcurl, ['-plaintext', '-d', '{"topic":""}', gateway.address, `${SERVICE}/GetEndOffsets`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Code: InvalidArgument\s+Message: topic: must not be empty/);
  });

  it('the health service answers', async () => {
    const result = await run(grpcurl, ['-plaintext', gateway.address, 'grpc.health.v1.Health/Check']);
    expect(JSON.parse(result.stdout)).toEqual({ status: 'SERVING' });
  });
});
