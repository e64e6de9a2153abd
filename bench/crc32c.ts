/**
 * CRC-32C implementations side by side, ns per KiB: kafkajs's (a table lookup
 * per byte), the gateway's slicing-by-8 (plugins/kafka-records/drivers/kafkajs/crc32c.ts),
 * and, where they load, the native @node-rs/crc32 and the WebAssembly
 * @platformatic/wasm-utils (both installed with @platformatic/kafka).
 * Alternating rounds in one process; medians.
 *
 *   npx tsx bench/crc32c.ts
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { crc32c } from '../plugins/kafka-records/drivers/kafkajs/crc32c.ts';

const require = createRequire(import.meta.url);
type Crc = (bytes: Buffer) => number;

const implementations: [string, Crc][] = [
  ['kafkajs', require('kafkajs/src/protocol/recordBatch/crc32C') as Crc],
  ['sluice (slicing by 8)', (bytes) => crc32c(bytes)],
];
const optional: [string, () => Crc][] = [
  ['@node-rs/crc32 (native)', () => (require('@node-rs/crc32') as { crc32c: Crc }).crc32c],
  ['@platformatic/wasm-utils (wasm)', () => (require('@platformatic/wasm-utils') as { crc32c: Crc }).crc32c],
];
for (const [name, load] of optional) {
  try {
    implementations.push([name, load()]);
  } catch (err) {
    console.log(`${name}: not loaded (${(err as Error).message.split('\n')[0]})`);
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BYTES_PER_ROUND = 16 * 1024 * 1024;

for (const size of [1024, 16 * 1024, 64 * 1024]) {
  const inputs = Array.from({ length: 8 }, () => randomBytes(size));
  const expected = implementations[0]![1](inputs[0]!);
  for (const [name, crc] of implementations) {
    if (crc(inputs[0]!) >>> 0 !== expected) throw new Error(`${name} disagrees with kafkajs on ${size} bytes`);
  }
  const samples = new Map<string, number[]>(implementations.map(([name]) => [name, []]));
  const calls = BYTES_PER_ROUND / size;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, crc] of implementations) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) sink ^= crc(inputs[i & 7]!);
      const ns = Number(process.hrtime.bigint() - started);
      samples.get(name)!.push(ns / (BYTES_PER_ROUND / 1024));
    }
  }
  const base = median(samples.get('kafkajs')!);
  console.log(`\n${size / 1024} KiB inputs (${ROUNDS} rounds, median ns/KiB; sink ${sink & 1}):`);
  for (const [name] of implementations) {
    const m = median(samples.get(name)!);
    console.log(`  ${name.padEnd(34)} ${m.toFixed(0).padStart(7)} ns/KiB   ${(base / m).toFixed(1)}x kafkajs`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}
