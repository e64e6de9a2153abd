#!/usr/bin/env node
// A local Apache Kafka broker for development, without Docker.
//
//   node scripts/kafka.mjs fetch    download the broker jars with Maven (once; cached in .cache/kafka/<version>)
//   node scripts/kafka.mjs start    start a KRaft single-node broker in the background, wait until it serves
//   node scripts/kafka.mjs stop     stop it and delete its data
//   node scripts/kafka.mjs status   print whether it runs
//
// Environment: KAFKA_VERSION (default: the latest 3.9.x), KAFKA_HOST (127.0.0.1),
// KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_MB (512).
// Flags --port N and --controller-port N override the environment.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import console from 'node:console';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { CACHE_DIR, fetchKafka, isAlive, kafkaVersion, startKafkaBroker } from './kafka-broker.mjs';

const PID_FILE = join(CACHE_DIR, 'broker.json');
const log = (message) => console.error(`[kafka] ${message}`);

function flag(name) {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

function port(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    log(`${name} must be a port number from 1 to 65535 (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return n;
}

function readState() {
  if (!existsSync(PID_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(PID_FILE, 'utf8'));
  } catch {
    return undefined;
  }
}

async function fetch() {
  const began = Date.now();
  const { version, lib, fetched } = await fetchKafka({ version: kafkaVersion(), log });
  log(fetched ? `fetched Kafka ${version} in ${Date.now() - began} ms: ${lib}` : `Kafka ${version} already in ${lib}`);
}

async function start() {
  const state = readState();
  if (state && isAlive(state.pid)) {
    log(`already running (pid ${state.pid}) on ${state.bootstrap}; stop it first to change version or ports`);
    console.log(`KAFKA_BOOTSTRAP_SERVERS=${state.bootstrap}`);
    return;
  }
  const began = Date.now();
  const broker = await startKafkaBroker({
    version: kafkaVersion(),
    host: process.env.KAFKA_HOST || '127.0.0.1',
    port: port(flag('--port') ?? process.env.KAFKA_PORT ?? 9092, 'KAFKA_PORT'),
    controllerPort: port(flag('--controller-port') ?? process.env.KAFKA_CONTROLLER_PORT ?? 9093, 'KAFKA_CONTROLLER_PORT'),
    heapMb: process.env.KAFKA_HEAP_MB ? Number(process.env.KAFKA_HEAP_MB) : undefined,
    detached: true,
    log,
  });
  await mkdir(CACHE_DIR, { recursive: true });
  await writeFile(
    PID_FILE,
    JSON.stringify({ pid: broker.pid, bootstrap: broker.bootstrap, version: broker.version, dir: broker.dir, log: broker.logFile }, null, 2),
  );
  log(`started in ${Date.now() - began} ms (pid ${broker.pid}, log ${broker.logFile})`);
  console.log(`KAFKA_BOOTSTRAP_SERVERS=${broker.bootstrap}`);
}

async function stop() {
  const state = readState();
  if (!state) {
    log('not running (no pid file)');
    return;
  }
  if (isAlive(state.pid)) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
    log(`stopped pid ${state.pid}`);
  } else {
    log(`pid ${state.pid} was not running`);
  }
  if (state.dir) await rm(state.dir, { recursive: true, force: true });
  await rm(PID_FILE, { force: true });
}

function status() {
  const state = readState();
  if (state && isAlive(state.pid)) {
    console.log(`running: Kafka ${state.version} pid ${state.pid} on ${state.bootstrap} (log ${state.log})`);
  } else {
    console.log('not running');
    process.exitCode = 1;
  }
}

const commands = { fetch, start, stop, status };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  log('usage: node scripts/kafka.mjs fetch|start|stop|status [--port N] [--controller-port N]');
  process.exit(2);
}
try {
  await command();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
