import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { ROOT } from '../support/process.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The short form of `npm run bench`: it runs end to end and writes its three
// files. Figures are not checked here (speed is for the benchmark, not tests).
it('BENCH_QUICK=1 runs every side-by-side scenario and writes the JSON, the table and the chart', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/sidebyside.ts'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS_DIR: dir, KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, output).toBe(0);
  const files = readdirSync(dir).sort();
  expect(files.map((f) => path.extname(f))).toEqual(['.json', '.md', '.svg']);
  const report = JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as { rows: Array<{ sluice: number[]; direct: number[] }>; scale: Array<{ served: number; streams: number }> };
  // 8 receive + 1 with a header + 1 of events + 1 TS client + 5 publish (one from grpc-go) + 6 latency rows; the machine-limit rows run only outside BENCH_QUICK.
  expect(report.rows.length).toBe(22);
  expect(report.rows.every((r) => r.sluice.length === 1 && r.direct.length === 1 && r.sluice[0]! > 0 && r.direct[0]! > 0)).toBe(true);
  expect(report.scale.every((s) => s.served === s.streams)).toBe(true);
  expect(readFileSync(path.join(dir, files[2]!), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
}, 600_000);
