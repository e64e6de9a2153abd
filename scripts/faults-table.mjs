// Prints the fault suite's result rows (.cache/faults/results.jsonl, written by
// test/faults/support/verifier.ts) as the markdown table of docs/guarantees.md.
import { existsSync, readFileSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const file = process.env.FAULTS_RESULTS ?? fileURLToPath(new URL('../.cache/faults/results.jsonl', import.meta.url));
if (!existsSync(file)) {
  console.error(`no results in ${file}: run the fault suite first (npm run verify, or npx vitest run test/faults)`);
  process.exit(1);
}
const since = process.argv[2] ? Date.parse(process.argv[2]) : 0;
const rows = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((r) => Date.parse(r.when) >= since);
console.log('| scenario | form | published | delivered | duplicated | lost | positions moved back | recovery time |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const recovery = r.recoveryMs === null ? '–' : `${(r.recoveryMs / 1000).toFixed(1)} s`;
  console.log(`| ${r.scenario} | ${r.long ? 'long' : 'short'} | ${r.published} | ${r.delivered} | ${r.duplicated} | ${r.lost} | ${r.positionsMovedBack} | ${recovery} |`);
}
