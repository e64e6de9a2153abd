/**
 * Gateway memory while a client stalls on a large partition. A gateway process
 * (RECORDS_STORE=kafka by default) serves a partition holding BENCH_STALL_MIB
 * of records to a client that reads one record and then stops reading; the
 * gateway's resident memory is sampled from /proc before and during the stall.
 *
 *   npx tsx bench/stalled-memory.ts                 # Kafka from KAFKA_BOOTSTRAP_SERVERS, else a broker of its own
 *   BENCH_STALL_MIB=256 npx tsx bench/stalled-memory.ts
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';

const MIB = Number(process.env.BENCH_STALL_MIB ?? 1024);
const VALUE = Buffer.alloc(Number(process.env.BENCH_VALUE_BYTES ?? 256 * 1024), 'v');
const SAMPLE_SECONDS = Number(process.env.BENCH_STALL_SECONDS ?? 20);
const RECORDS = Math.ceil((MIB * 1024 * 1024) / VALUE.length);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

let stopKafka: (() => Promise<void>) | undefined;
const env: Record<string, string> = { RECORDS_STORE: process.env.RECORDS_STORE ?? 'kafka', KAFKA_TOPIC_PARTITIONS: '2', MEMORY_PARTITIONS: '2' };
if (env.RECORDS_STORE === 'kafka' && !process.env.KAFKA_BOOTSTRAP_SERVERS) {
  const { ensureKafka } = await import('../test/support/kafka.ts');
  const kafka = await ensureKafka();
  env.KAFKA_BOOTSTRAP_SERVERS = kafka.bootstrap;
  stopKafka = () => kafka.stop();
}

const gateway = await spawnGateway({ LOG_LEVEL: 'info', ...env });
const pid = gateway.child.pid!;
const client = new TestClient(gateway.address);
const topic = `stall-${Date.now()}`;

const started = Date.now();
let partition = -1;
for (let i = 0; i < RECORDS; i += 8) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(8, RECORDS - i) }, () => client.publish({ topic, key: Buffer.from('stalled'), value: VALUE })),
  );
  partition = batch[0]!.partition;
}
const publishSeconds = (Date.now() - started) / 1000;
console.log(`published ${RECORDS} records of ${VALUE.length} B (${MIB} MiB) to partition ${partition} in ${publishSeconds.toFixed(1)} s`);

// Let the publish path's garbage settle, then take the baseline.
await new Promise((r) => setTimeout(r, 3000));
const baseline = rssMiB(pid);

const subscription = client.subscribe({ topic, group: 'stall' });
const assignments = await subscription.until((a) => a.length === 2, 60_000);
const call = (client.raw.Receive as unknown as (r: object) => ClientReadableStream<unknown>).call(client.raw, {
  assignment: assignments.find((a) => a.partition === partition),
});
call.on('error', () => undefined);
await new Promise<void>((resolve) =>
  call.once('data', () => {
    call.pause();
    resolve();
  }),
);

let peak = baseline;
for (let s = 0; s < SAMPLE_SECONDS * 2; s++) {
  await new Promise((r) => setTimeout(r, 500));
  peak = Math.max(peak, rssMiB(pid));
}
console.log('| partition holds | value size | gateway RSS before Receive | peak RSS while stalled | growth |');
console.log('|---:|---:|---:|---:|---:|');
console.log(`| ${MIB} MiB | ${VALUE.length} B | ${baseline.toFixed(0)} MiB | ${peak.toFixed(0)} MiB | ${(peak - baseline).toFixed(0)} MiB |`);

call.cancel();
subscription.cancel();
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
await stopKafka?.();
