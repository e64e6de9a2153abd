import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startRedisServer } from '../support/redis.ts';
import { uniqueName } from '../support/records.ts';
import { killLeftovers, lines, runCli, startCli } from './run.ts';

const PARTITIONS = 4;

describe('sluice CLI (child processes against a real gateway)', () => {
  let gateway: TestGateway;
  let address: string;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: String(PARTITIONS) });
    address = gateway.address;
  });
  afterAll(async () => {
    await gateway?.stop();
  });
  // A gateway whose stdout reader is gone ignores SIGTERM (seen with npm start too): never leave one behind.
  afterEach(killLeftovers);

  it('--help works on the program and every command', async () => {
    const results = await Promise.all([[], ['serve'], ['publish'], ['consume'], ['offsets']].map((command) => runCli([...command, '--help'])));
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: sluice/);
    }
    expect(results[2]!.stdout).toMatch(/--file <path>/);
    expect(results[3]!.stdout).toMatch(/--format <format>/);
    expect(results[4]!.stdout).toMatch(/--group-version <n>/);
    for (const command of [results[3]!, results[4]!]) expect(command.stdout).toMatch(/--group <group> +consumer group \(required\)/);
    expect(results[3]!.stdout).toMatch(/--until-end/);
  });

  it('consume --until-end stops once caught up, with --max larger than what is left; then exits at once', async () => {
    const topic = uniqueName('until');
    const group = uniqueName('g');
    await runCli(['publish', topic, '--key', 'k', '--address', address], { input: 'a\nb\nc\n' });
    const first = await runCli(['consume', topic, '--group', group, '--max', '100', '--until-end', '--address', address]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(lines(first.stdout).map((l) => l.split('\t')[3])).toEqual(['a', 'b', 'c']);
    const again = await runCli(['consume', topic, '--group', group, '--until-end', '--address', address]);
    expect(again).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('a store outage is reported as the gateway being unavailable, not as unreachable', async () => {
    const redis = await startRedisServer();
    const withRedis = await startTestGateway({ POSITIONS_STORE: 'redis', REDIS_URL: redis.url });
    try {
      await redis.kill();
      const result = await runCli(['offsets', 'outage', '--group', 'g', '--address', withRedis.address]);
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^sluice: the gateway at ${withRedis.address} is unavailable: .*positions store`))]);
    } finally {
      await withRedis.stop();
      await redis.destroy();
    }
  });

  it('serve on a port already in use: one sluice: line on stderr, exit 1', async () => {
    const port = gateway.address.split(':')[1]!;
    const result = await runCli(['serve'], { env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: port, LOG_LEVEL: 'error' } });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`sluice: cannot listen on 127.0.0.1:${port}: the port is already in use (set GRPC_PORT to a free one)`]);
  });

  it('publish a value, then consume shows it with its key', async () => {
    const topic = uniqueName('one');
    const published = await runCli(['publish', topic, 'hello world', '--key', 'user-1', '--address', address]);
    expect(published).toMatchObject({ code: 0, stderr: '' });
    expect(lines(published.stdout)).toEqual([expect.stringMatching(new RegExp(`^published to ${topic}: partition \\d, offset 0$`))]);
    const partition = /partition (\d)/.exec(published.stdout)![1];

    const consumed = await runCli(['consume', topic, '--group', uniqueName('g'), '--max', '1', '--address', address]);
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    expect(lines(consumed.stdout)).toEqual([`${partition}\t0\tuser-1\thello world`]);
  });

  it('publish the lines of a file: a rate summary, no progress bar when stderr is not a terminal', async () => {
    const topic = uniqueName('file');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'lines.txt');
    await writeFile(file, Array.from({ length: 2000 }, (_, i) => `line-${i}`).join('\n') + '\n');
    const result = await runCli(['publish', topic, '--file', file, '--address', address]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines(result.stdout)).toEqual([expect.stringMatching(/^published 2000 records in \d+\.\d s \(\d+ rec\/s\)$/)]);
    console.info(`CLI: ${result.stdout.trim()}`);
    const { offsets: end } = await gateway.client.getEndOffsets({ topic });
    expect(Object.values(end).reduce((sum, offset) => sum + Number(offset) + 1, 0)).toBe(2000);
  });

  it('publish the lines of stdin under one key; consume --format json shows them in order', async () => {
    const topic = uniqueName('stdin');
    const result = await runCli(['publish', topic, '--key', 'k', '--address', address], { input: 'a\nb\n\nc\n' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^published 3 records in /);
    const consumed = await runCli(['consume', topic, '-g', uniqueName('g'), '--format', 'json', '-n', '3', '--address', address]);
    expect(consumed.code).toBe(0);
    const records = lines(consumed.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => [r.offset, r.key, r.value])).toEqual([
      ['0', 'k', 'a'],
      ['1', 'k', 'b'],
      ['2', 'k', 'c'],
    ]);
    expect(records[0]).toMatchObject({ topic, replay: false, headers: {} });
  });

  it('offsets shows the lag shrinking to 0 as consume acks', async () => {
    const topic = uniqueName('lag');
    const group = uniqueName('g');
    const input = Array.from({ length: 40 }, (_, i) => `v${i}`).join('\n');
    expect((await runCli(['publish', topic, '--address', address], { input })).code).toBe(0);
    const lagOf = async () => {
      const result = await runCli(['offsets', topic, '--group', group, '--address', address]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const table = lines(result.stdout);
      expect(table[0]).toMatch(/^partition\s+acked\s+end\s+lag$/);
      return { table, total: Number(/^total\s+(\d+)$/.exec(table.at(-1)!)![1]) };
    };
    const before = await lagOf();
    expect(before.total).toBe(40);
    expect(before.table.slice(1, -1).every((row) => /^\d\s+-\s+\d+\s+\d+$/.test(row))).toBe(true);

    expect((await runCli(['consume', topic, '--group', group, '--max', '15', '--address', address])).code).toBe(0);
    expect((await lagOf()).total).toBe(25);
    const rest = await runCli(['consume', topic, '--group', group, '--max', '25', '--address', address]);
    expect(lines(rest.stdout)).toHaveLength(25);
    const after = await lagOf();
    expect(after.total).toBe(0);
    console.info(`CLI offsets after consuming:\n${after.table.join('\n')}`);
  });

  it('an unreachable gateway: non-zero exit and one line saying so, for every command', async () => {
    const nowhere = '127.0.0.1:1'; // nothing listens on port 1
    const results = await Promise.all([
      runCli(['publish', 't', 'v', '--address', nowhere]),
      runCli(['consume', 't', '--group', 'g', '--address', nowhere]),
      runCli(['offsets', 't', '--group', 'g', '--address', nowhere]),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^sluice: cannot reach the gateway at ${nowhere} \\(.*ECONNREFUSED.*\\)$`))]);
    }
  });

  it('bad input: one-line errors naming the problem', async () => {
    const missing = await runCli(['consume', 't', '--address', address]);
    expect([missing.code, lines(missing.stderr)]).toEqual([1, [expect.stringMatching(/^sluice: required option '-g, --group <group>' not specified/)]]);
    const invalid = await runCli(['publish', 'has space', 'v', '--address', address]);
    expect([invalid.code, lines(invalid.stderr)]).toEqual([1, [expect.stringMatching(/^sluice: Publish failed \(INVALID_ARGUMENT\): topic: .*has space/)]]);
    const noFile = await runCli(['publish', 't', '--file', '/nonexistent/lines.txt', '--address', address]);
    expect([noFile.code, lines(noFile.stderr)]).toEqual([1, ['sluice: cannot read /nonexistent/lines.txt']]);
  });

  it('consume without --max runs until SIGINT, then acks what it printed and exits 0', async () => {
    const topic = uniqueName('sigint');
    const group = uniqueName('g');
    expect((await runCli(['publish', topic, '--key', 'k', '--address', address], { input: 'a\nb\nc\n' })).code).toBe(0);
    const { child, result } = startCli(['consume', topic, '--group', group, '--address', address]);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.split('\n').length > 3) resolve();
      });
    });
    child.kill('SIGINT');
    const done = await result;
    expect(done.code).toBe(0);
    expect(lines(done.stdout).map((l) => l.split('\t')[3])).toEqual(['a', 'b', 'c']);
    const { offsets } = await gateway.client.getOffsets({ topic, group });
    expect(Object.values(offsets)).toEqual(['2']);
  });

  it('serve runs the gateway (as npm start) until SIGTERM', async () => {
    // Port 0: the gateway picks a free port and names it in its log.
    const { child, result } = startCli(['serve'], { env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', LOG_LEVEL: 'info' } });
    const port = await new Promise<string>((resolve) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        const listening = /sluice listening on 127\.0\.0\.1:(\d+)/.exec(seen);
        if (listening) resolve(listening[1]!);
      });
    });
    const published = await runCli(['publish', 'served', 'x', '--address', `127.0.0.1:${port}`]);
    expect(published).toMatchObject({ code: 0, stderr: '' });
    expect(lines(published.stdout)).toEqual([expect.stringMatching(/^published to served: partition \d+, offset 0$/)]);
    child.kill('SIGTERM');
    const done = await result;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/stopped/);
  });
});
