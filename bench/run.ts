/**
 * `npm run bench`: every benchmark, one after another, each in its own process
 * so that one's memory does not colour the next's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const benches: Array<{ file: string; env?: Record<string, string>; label: string }> = [
  { file: 'gateway.ts', label: 'gateway, memory stores' },
  { file: 'gateway.ts', env: { POSITIONS_STORE: 'redis' }, label: 'gateway, redis positions' },
  { file: 'acks.ts', label: 'redis positions store alone' },
  { file: 'stalled-memory.ts', label: 'stalled client memory' },
  { file: 'metrics-cost.ts', env: { BENCH_ROUNDS: '3' }, label: 'metrics on vs off, Receive' },
];

let failed = 0;
for (const bench of benches) {
  const path = fileURLToPath(new URL(bench.file, import.meta.url));
  if (!existsSync(path)) continue;
  console.log(`\n## ${bench.label} (bench/${bench.file})`);
  const run = spawnSync(tsx, [path], { stdio: 'inherit', env: { ...process.env, ...bench.env } });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
