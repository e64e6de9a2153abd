/**
 * `npm run bench`: every benchmark, one after another, each in its own process
 * so that one's memory does not colour the next's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const benches: Array<{ file: string; env?: Record<string, string>; label: string }> = [
  { file: 'sidebyside.ts', label: 'Sluice beside direct kafkajs (receive, publish, latency, scale)' },
  { file: 'gateway.ts', label: 'gateway, memory stores' },
  { file: 'gateway.ts', env: { POSITIONS_STORE: 'redis' }, label: 'gateway, redis positions' },
  { file: 'acks.ts', label: 'redis positions store alone' },
  { file: 'stalled-memory.ts', label: 'stalled client memory' },
  { file: 'auth.ts', label: 'cost of authentication and authorization' },
  { file: 'metrics-cost.ts', env: { BENCH_ROUNDS: '3' }, label: 'metrics on vs off, Receive' },
  { file: 'records-features.ts', label: 'cost of a schema on publish and a filter on receive' },
  { file: 'retry-cost.ts', label: 'cost of retry topics and Nack on the record path' },
  { file: 'drivers.ts', env: { DRIVERS_LATENCY_SECONDS: '5' }, label: 'both Kafka drivers through the gateway, beside the direct kafkajs and @platformatic/kafka clients' },
];

let failed = 0;
const began = Date.now();
const seconds = (since: number) => Math.round((Date.now() - since) / 1000);
// BENCH_QUICK=1: the side-by-side smoke test alone (it asserts that the run works and writes its files).
for (const bench of quick ? benches.slice(0, 1) : benches) {
  const path = fileURLToPath(new URL(bench.file, import.meta.url));
  if (!existsSync(path)) continue;
  console.log(`\n## ${bench.label} (bench/${bench.file})`);
  const started = Date.now();
  const run = spawnSync(tsx, [path], { stdio: 'inherit', env: { ...process.env, ...bench.env } });
  if (run.status !== 0) failed++;
  // Each part's time, for the 15-minute budget of the whole run.
  console.log(`(bench/${bench.file}: ${seconds(started)} s)`);
}
console.log(`\nbench: ${seconds(began)} s in all${failed > 0 ? `, ${failed} failed` : ''}`);
process.exit(failed === 0 ? 0 : 1);
