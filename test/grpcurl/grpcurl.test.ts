import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { ROOT } from '../support/process.ts';
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
    for (const rpc of ['Publish', 'Subscribe', 'Receive', 'Ack', 'GetOffsets', 'GetEndOffsets', 'ReceiveBatch', 'PublishBatch']) expect(service.stdout).toMatch(new RegExp(`rpc ${rpc} \\(`));

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

/**
 * The README's grpcurl tour, run as written against a fresh gateway started as
 * its Quick start says (MEMORY_PARTITIONS=4), each output compared with the
 * one shown. Only what cannot repeat is matched loosely: the session id
 * (taken from Subscribe's real output into Receive's command) and timestamps.
 */
describe("the README's grpcurl calls run as shown", () => {
  let gateway: TestGateway;
  const children: Child[] = [];
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '4' });
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    await gateway?.stop();
  });

  it('every call gives the output the README shows', { timeout: 90_000 }, async () => {
    const grpcurl = goTool('grpcurl');
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!).find((b) => b.startsWith('$ grpcurl'));
    expect(block, 'a README block of grpcurl calls').toBeDefined();
    const steps = block!.split(/^\$ /m).filter(Boolean).map((step) => {
      const [command, ...output] = step.split('\n');
      return { command: command!, output: output.join('\n').trim() };
    });
    expect(steps.map((s) => /LiiklusService\/(\w+)/.exec(s.command)?.[1] ?? 'list')).toEqual(['list', 'Publish', 'Subscribe', 'Receive', 'Ack', 'GetOffsets', 'GetEndOffsets']);

    const sessionInReadme = /"sessionId": "([^"]+)"/.exec(block!)![1]!;
    let session = sessionInReadme;
    const normalize = (text: string) =>
      text
        .replaceAll(session, '<session>')
        .replace(/"timestamp": "[^"]+"/g, '"timestamp": "<time>"')
        .replace(/^\.\.\..*$/m, '')
        .replace(/^\^C$/m, '')
        .trim();
    for (const { command, output } of steps) {
      const args = shellWords(command.replace(sessionInReadme, session)).slice(1).map((arg) => arg.replace('localhost:6565', gateway.address));
      if (command.includes('/Subscribe') || command.includes('/Receive')) {
        // Streams stay open: compare what they printed once it is all there.
        const child = new Child(grpcurl, args);
        children.push(child);
        const shown = normalize(output.replace(sessionInReadme, '<session>'));
        await child.waitUntil((stdout) => stdout.includes('}\n') && normalize(stdout.replaceAll(/"sessionId": "([^"]+)"/g, (_, id: string) => `"sessionId": "${(session = id)}"`)).startsWith(shown), `README's ${command}`, 20_000);
      } else {
        const result = await run(grpcurl, args);
        expect(normalize(`${result.stdout}${result.stderr}`)).toBe(normalize(output));
      }
    }
  });
});

/** Splits a command line as the shell would for the README's quoting (single quotes only). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}
