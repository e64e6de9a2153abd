import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fetchKafka } from '../../scripts/kafka-broker.mjs';
import { ROOT } from './process.ts';

const run = promisify(execFile);

/**
 * Runs a single-file Java program of test/fixtures (Java 11+ source launch)
 * against the Kafka client jars the test broker runs from: for records only
 * the Java producer can write (kafkajs cannot write a null header value).
 */
export async function runJavaFixture(file: string, args: readonly string[]): Promise<string> {
  const { lib } = await fetchKafka();
  const { stdout } = await run('java', ['-cp', join(lib, '*'), join(ROOT, 'test', 'fixtures', file), ...args], { timeout: 120_000 });
  return stdout;
}
