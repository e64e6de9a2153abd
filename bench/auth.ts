/**
 * The cost of authentication and authorization: two gateway processes on the
 * memory stores, one without a security file and one with JWT authentication,
 * rules and limits (auth once per call, never per record). Each round measures
 * Receive throughput (records/s over one partition stream) and Publish calls/s
 * on both, alternating which goes first; the table shows medians. Beside the
 * wall-clock rates it reports the gateway process's own CPU time per record /
 * per call (from /proc), which a loaded machine disturbs much less.
 *
 *   npx tsx bench/auth.ts            (BENCH_ROUNDS=5 BENCH_RECEIVE=50000 BENCH_PUBLISH=5000)
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withToken } from '../test/support/auth.ts';
import { countRecords, fillTopic } from './lib/sluice.ts';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway, type GatewayProcess } from '../test/support/process.ts';
import { AUDIENCE, jwks, signingKey, token } from '../test/support/security.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECEIVE = Number(process.env.BENCH_RECEIVE ?? 50_000);
const PUBLISH = Number(process.env.BENCH_PUBLISH ?? 5_000);
const CONCURRENCY = 64;
const VALUE = Buffer.alloc(100, 'x');

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-auth-'));
const key = await signingKey('ES256', 'bench');
writeFileSync(join(dir, 'jwks.json'), JSON.stringify(await jwks([key])));
writeFileSync(
  join(dir, 'security.json'),
  JSON.stringify({
    authentication: { jwt: { jwksFile: 'jwks.json', audience: AUDIENCE } },
    rules: [{ principals: ['jwt:alice'], actions: ['publish', 'subscribe', 'ack', 'read-offsets'], topics: ['bench-*'], groups: ['bench*'] }],
    limits: { default: { publishPerSecond: 1_000_000, subscribeStreams: 100, receiveStreams: 100 } },
  }),
);

interface Side {
  name: string;
  gateway: GatewayProcess;
  client: TestClient;
  receive: number[];
  publish: number[];
  /** Gateway CPU microseconds per received record / per publish call. */
  receiveCpu: number[];
  publishCpu: number[];
}

/** utime + stime of a process, in microseconds (Linux /proc; clock ticks are 100 Hz here). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const env = { LOG_LEVEL: 'info', MEMORY_PARTITIONS: '1' }; // spawnGateway waits for the info-level listening line
const [plain, secured] = await Promise.all([spawnGateway(env), spawnGateway({ ...env, SECURITY_FILE: join(dir, 'security.json') })]);
const sides: Side[] = [
  { name: 'auth off', gateway: plain, client: new TestClient(plain.address), receive: [], publish: [], receiveCpu: [], publishCpu: [] },
  { name: 'auth on (ES256 JWT, rules, limits)', gateway: secured, client: new TestClient(secured.address, grpc.credentials.createInsecure(), withToken(await token(key))), receive: [], publish: [], receiveCpu: [], publishCpu: [] },
];

async function pool(total: number, call: () => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next++ < total) await call(); }));
}

async function round(side: Side, n: number) {
  const topic = `bench-${n}-${Date.now()}`;
  const pid = side.gateway.child.pid!;
  let cpu = cpuMicros(pid);
  let started = process.hrtime.bigint();
  await pool(PUBLISH, () => side.client.publish({ topic, value: VALUE }));
  side.publish.push(PUBLISH / (Number(process.hrtime.bigint() - started) / 1e9));
  side.publishCpu.push((cpuMicros(pid) - cpu) / PUBLISH);
  await fillTopic(side.client, topic, RECEIVE - PUBLISH, VALUE);
  const subscription = side.client.subscribe({ topic, group: 'bench' });
  const [assignment] = await subscription.until((a) => a.length === 1, 60_000);
  cpu = cpuMicros(pid);
  started = process.hrtime.bigint();
  await countRecords(side.client, assignment!, RECEIVE);
  side.receive.push(RECEIVE / (Number(process.hrtime.bigint() - started) / 1e9));
  side.receiveCpu.push((cpuMicros(pid) - cpu) / RECEIVE);
  subscription.cancel();
}

for (let n = 0; n < ROUNDS; n++) for (const side of n % 2 === 0 ? sides : [...sides].reverse()) await round(side, n);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`memory stores, ${ROUNDS} rounds, median; Receive: ${RECEIVE} records of ${VALUE.length} B on one stream; Publish: ${PUBLISH} unary calls, ${CONCURRENCY} in flight`);
console.log('| gateway | Receive records/s | gateway CPU µs per record | Publish calls/s | gateway CPU µs per Publish |');
console.log('|---|---:|---:|---:|---:|');
for (const side of sides) {
  console.log(
    `| ${side.name} | ${Math.round(median(side.receive))} | ${median(side.receiveCpu).toFixed(1)} | ${Math.round(median(side.publish))} | ${median(side.publishCpu).toFixed(1)} |`,
  );
}
const [off, on] = sides as [Side, Side];
const ratio = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
console.log(`auth on / off: Receive ${ratio(median(on.receive), median(off.receive))} of the rate, ${ratio(median(on.receiveCpu), median(off.receiveCpu))} of the CPU per record; Publish ${ratio(median(on.publish), median(off.publish))} of the rate, ${ratio(median(on.publishCpu), median(off.publishCpu))} of the CPU per call`);
console.log(`all rounds: ${sides.map((s) => `${s.name}: receive ${s.receive.map(Math.round).join(', ')}; publish ${s.publish.map(Math.round).join(', ')}`).join(' | ')}`);

for (const side of sides) {
  side.client.close();
  side.gateway.child.kill('SIGTERM');
  await side.gateway.exited;
}
rmSync(dir, { recursive: true, force: true });

