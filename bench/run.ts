/**
 * `npm run bench`: every benchmark, one after another, each in its own process
 * so that one's memory does not colour the next's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const benches = ['gateway.ts', 'acks.ts', 'stalled-memory.ts']
  .map((name) => fileURLToPath(new URL(name, import.meta.url)))
  .filter((path) => existsSync(path));

let failed = 0;
for (const bench of benches) {
  console.log(`\n## ${bench.split('/').pop()}`);
  const run = spawnSync(tsx, [bench], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
