/**
 * The machine's limit: Kafka's own perf-test classes (what
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh run), from the
 * kafka-tools jar of the broker's version, fetched with Maven into
 * .cache/kafka-tools/<version>/lib once. The Java clients set the ceiling a
 * Node.js client (and so the gateway) is measured against.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CACHE = fileURLToPath(new URL('../../.cache/kafka-tools/', import.meta.url));

function toolsClasspath(version: string): string {
  const home = `${CACHE}${version}`;
  const lib = `${home}/lib`;
  if (!existsSync(`${lib}/.complete`)) {
    mkdirSync(home, { recursive: true });
    writeFileSync(
      `${home}/pom.xml`,
      `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by bench/lib/kafka-perf.ts: only used to resolve kafka-tools and its runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.sluice</groupId><artifactId>kafka-tools</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`,
    );
    const mvn = spawnSync('mvn', ['-q', '-B', '-f', `${home}/pom.xml`, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`], { encoding: 'utf8' });
    if (mvn.status !== 0) throw new Error(`cannot fetch org.apache.kafka:kafka-tools:${version} with Maven:\n${(mvn.stdout + mvn.stderr).slice(-2000)}`);
    writeFileSync(`${lib}/.complete`, '');
  }
  return `${lib}/*`;
}

function java(classpath: string, main: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx512m', '-cp', classpath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${main} exited with ${code}:\n${output.slice(-2000)}`))));
  });
}

/** ProducerPerformance: `count` records of `size` B, acks=all, idempotent, as fast as it can; records/s. */
export async function javaProducerRate(version: string, brokers: string, topic: string, count: number, size: number): Promise<number> {
  const output = await java(toolsClasspath(version), 'org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(count), '--record-size', String(size), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true',
  ]);
  // The summary line: "N records sent, R records/sec (M MB/sec), ..."
  const summary = [...output.matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)].at(-1);
  if (!summary) throw new Error(`no summary in ProducerPerformance's output:\n${output.slice(-1000)}`);
  return Number(summary[2]);
}

/** ConsumerPerformance: reads `count` records of `topic` from the start; records/s while fetching (group join left out). */
export async function javaConsumerRate(version: string, brokers: string, topic: string, count: number): Promise<number> {
  const output = await java(toolsClasspath(version), 'org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', brokers, '--topic', topic, '--messages', String(count), '--timeout', '60000',
  ]);
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = output.trim().split('\n').filter((line) => /^\d{4}-/.test(line)).at(-1)?.split(',').map((c) => c.trim());
  if (!row || row.length < 10) throw new Error(`no result row in ConsumerPerformance's output:\n${output.slice(-1000)}`);
  return Number(row[9]);
}
