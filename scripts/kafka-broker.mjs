// A real Apache Kafka broker (KRaft, single node, combined broker+controller)
// run from the Apache Kafka jars on Maven Central, without Docker. Shared by
// scripts/kafka.mjs (npm run kafka:start / kafka:stop) and the tests
// (test/support/kafka.ts). Plain Node ESM so it runs without a TypeScript loader;
// its types are in kafka-broker.d.mts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where fetched jars are kept (git-ignored): .cache/kafka/<version>/lib. */
export const CACHE_DIR = join(ROOT, '.cache', 'kafka');
/** The latest 3.9.x on Maven Central when this was written (checked with maven-metadata.xml). */
export const DEFAULT_KAFKA_VERSION = '3.9.2';

export const HOW_TO =
  'A Kafka broker needs Java 17+ and Maven (mvn) to fetch the Apache Kafka jars from Maven Central once ' +
  '(node scripts/kafka.mjs fetch). Or set KAFKA_BOOTSTRAP_SERVERS=host:port to use a running broker, ' +
  'e.g. `npm run kafka:start` then KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092.';

/** KAFKA_VERSION, else the default. */
export function kafkaVersion(env = process.env) {
  return env.KAFKA_VERSION && env.KAFKA_VERSION.trim() !== '' ? env.KAFKA_VERSION.trim() : DEFAULT_KAFKA_VERSION;
}

const major = (version) => Number.parseInt(version.split('.')[0] ?? '0', 10);

function pom(dependencies) {
  const deps = dependencies
    .map(([g, a, v]) => `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway POM written by scripts/kafka-broker.mjs: only used to resolve the broker's runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.sluice</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', (err) => reject(err.code === 'ENOENT' ? new Error(`${command} is not installed (not found on PATH). ${HOW_TO}`) : err));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output.slice(-4000)}`));
    });
  });
}

async function copyDependencies(dir, dependencies, outputDirectory) {
  const pomFile = join(dir, 'pom.xml');
  await writeFile(pomFile, pom(dependencies));
  await run('mvn', ['-q', '-B', '-f', pomFile, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${outputDirectory}`]);
  return readdir(outputDirectory);
}

/** The version of the jar `<artifact>-<version>.jar` in `jars`, if there. */
function jarVersion(jars, artifact) {
  const pattern = new RegExp(`^${artifact.replace(/[.-]/g, '\\$&')}-(\\d[^/]*)\\.jar$`);
  for (const jar of jars) {
    const match = pattern.exec(jar);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * The logging binding Kafka's own distribution ships for this major version:
 * 3.x reload4j (slf4j-reload4j), 4.x log4j2 (log4j-slf4j-impl, or the slf4j2
 * flavour when slf4j-api is 2.x). Maven's kafka_2.13 POM lists none.
 */
function loggingBinding(version, jars) {
  const slf4j = jarVersion(jars, 'slf4j-api') ?? '1.7.36';
  if (major(version) < 4) return [['org.slf4j', 'slf4j-reload4j', slf4j]];
  const log4j = jarVersion(jars, 'log4j-core') ?? jarVersion(jars, 'log4j-api') ?? '2.24.3';
  const bridge = major(slf4j) >= 2 ? 'log4j-slf4j2-impl' : 'log4j-slf4j-impl';
  return [
    ['org.apache.logging.log4j', bridge, log4j],
    ['org.apache.logging.log4j', 'log4j-core', log4j],
  ];
}

/**
 * Downloads `org.apache.kafka:kafka_2.13:<version>` and its runtime
 * dependencies (plus the logging binding) with Maven into
 * .cache/kafka/<version>/lib, once. Safe to run concurrently: each run
 * resolves into its own folder and the first to finish is kept.
 */
export async function fetchKafka({ version = kafkaVersion(), log = () => undefined } = {}) {
  const home = join(CACHE_DIR, version);
  const lib = join(home, 'lib');
  const marker = join(lib, '.complete');
  if (existsSync(marker)) return { version, lib, fetched: false };
  await mkdir(home, { recursive: true });
  const work = await mkdtemp(join(home, 'fetch-'));
  try {
    log(`fetching org.apache.kafka:kafka_2.13:${version} and its runtime dependencies with Maven...`);
    const kafka = ['org.apache.kafka', 'kafka_2.13', version];
    const jars = await copyDependencies(work, [kafka], join(work, 'probe'));
    if (!jars.includes(`kafka_2.13-${version}.jar`)) throw new Error(`Maven did not resolve kafka_2.13-${version}.jar`);
    const binding = loggingBinding(version, jars);
    await copyDependencies(work, [kafka, ...binding], join(work, 'lib'));
    await writeFile(join(work, 'lib', '.complete'), `${binding.map((d) => d.join(':')).join('\n')}\n`);
    await rename(join(work, 'pom.xml'), join(home, 'pom.xml')).catch(() => undefined);
    try {
      await rename(join(work, 'lib'), lib);
    } catch (err) {
      if (!existsSync(marker)) throw err; // else another run finished first: use its jars
    }
    log(`Kafka ${version} jars in ${lib}`);
    return { version, lib, fetched: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A free TCP port on 127.0.0.1 (free when asked). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port, host) {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The broker's configuration: KRaft, one node in combined mode, internal topics at replication 1. */
export function serverProperties({ host, advertisedHost, port, controllerPort, dataDir, properties = {} }) {
  const base = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    // Topics are created by the records store with the partition count it is
    // configured with; a broker that auto-creates would race it with 1 partition.
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '8',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '4',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Tests and dev would otherwise wait 3 s on every group's first join.
    'group.initial.rebalance.delay.ms': '0',
    // A broker restarted after a crash (kill -9) cannot register again until
    // its previous registration's session expires: 9 s by default.
    'broker.session.timeout.ms': '4000',
    'broker.heartbeat.interval.ms': '500',
  };
  return Object.entries({ ...base, ...properties })
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;

const LOG4J2 = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
`;

/**
 * A throwaway CA and a broker certificate it signs (SAN IP:127.0.0.1,
 * DNS:localhost and the advertised host), made with openssl in `dir`. The
 * broker reads them as a PEM keystore (ssl.keystore.type=PEM, Kafka 2.7+):
 * one file holding the unencrypted PKCS#8 key and the certificate chain.
 */
async function makeTls(dir, advertisedHost) {
  await mkdir(dir, { recursive: true });
  const f = (name) => join(dir, name);
  const days = '30';
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', days, '-subj', '/CN=sluice-test-ca']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('broker.key'), '-out', f('broker.csr'), '-subj', `/CN=${advertisedHost}`]);
  const isIp = /^[\d.]+$|:/.test(advertisedHost);
  const san = ['IP:127.0.0.1', 'DNS:localhost', ...(advertisedHost === '127.0.0.1' || advertisedHost === 'localhost' ? [] : [`${isIp ? 'IP' : 'DNS'}:${advertisedHost}`])];
  await writeFile(f('ext.cnf'), `subjectAltName=${san.join(',')}\n`);
  await run('openssl', ['x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('broker.pem'), '-days', days, '-extfile', f('ext.cnf')]);
  const key = readFileSync(f('broker.key'), 'utf8');
  if (!key.includes('BEGIN PRIVATE KEY')) throw new Error('openssl did not write a PKCS#8 key, which a Kafka PEM keystore needs');
  await writeFile(f('broker-keystore.pem'), key + readFileSync(f('broker.pem'), 'utf8') + readFileSync(f('ca.pem'), 'utf8'));
  return { caFile: f('ca.pem'), keystoreFile: f('broker-keystore.pem') };
}

/** server.properties entries of a SASL_SSL listener on `securePort` beside PLAINTEXT (which stays for inter-broker traffic and the readiness probe). */
function saslSslProperties({ host, advertisedHost, port, securePort, controllerPort, keystoreFile, users }) {
  const plainUsers = users.map(({ username, password }) => `user_${username}=${JSON.stringify(password)}`).join(' ');
  return {
    listeners: `PLAINTEXT://${host}:${port},SASL_SSL://${host}:${securePort},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${port},SASL_SSL://${advertisedHost}:${securePort}`,
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': keystoreFile,
  };
}

/** StorageTool arguments that store each user's SCRAM-SHA-256 and -512 credentials at format time (KIP-900, Kafka 3.5+). */
function scramFormatArgs(users) {
  return users.flatMap(({ username, password }) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${username},password=${password}]`]),
  );
}

/** Base64url of 16 random bytes: a Kafka cluster id; never starting with '-', which the tool would take for an option. */
function clusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Class-data sharing archive of the broker's classes, per version: built on
 * a broker's first clean stop (-XX:ArchiveClassesAtExit), used by every later
 * JVM (-XX:SharedArchiveFile). Roughly halves the JVM's start on a busy machine.
 */
const archiveFile = (version) => join(CACHE_DIR, version, 'broker.jsa');

function javaArgs({ lib, dir, heapMb, fastStartup, jvmOptions = [] }) {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 256)}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    // C1 only: the JVM spends far less CPU compiling while it starts, at the
    // cost of peak throughput. For test brokers, not for benchmarks.
    ...(fastStartup ? ['-XX:TieredStopAtLevel=1'] : []),
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${join(dir, 'logs')}`,
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    ...jvmOptions,
    '-cp',
    `${lib}/*`,
  ];
}

// Starts the JVM through a tiny shell that kills it when our stdin pipe
// closes: a broker never outlives the process (test run) that started it,
// even when that process is SIGKILLed. Prints the JVM's pid first, exits
// with the JVM's exit code.
const WATCHDOG = `log="$1"; shift
"$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid"
exec 3<&0
( while read -r _ <&3; do :; done; kill -KILL "$pid" 2>/dev/null ) &
watcher=$!
wait "$pid"; code=$?
kill "$watcher" 2>/dev/null
exit "$code"
`;

const attached = new Set();
process.once('exit', () => {
  for (const pid of attached) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function tail(file, bytes = 6000) {
  try {
    return readFileSync(file, 'utf8').slice(-bytes);
  } catch {
    return '';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the broker answers Metadata with a controller and can
 * coordinate consumer groups (FindCoordinator creates __consumer_offsets), so
 * the first test does not pay for either.
 */
async function waitReady({ bootstrap, port, host, deadline, alive }) {
  while (!(await canConnect(port, host))) {
    if (!alive()) throw new Error('the broker process exited');
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
    await sleep(50);
  }
  const kafka = new Kafka({
    clientId: 'sluice-broker-probe',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  let lastError;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the broker process exited');
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0) {
        await admin.describeGroups(['sluice-broker-probe']);
        return;
      }
      lastError = new Error('no controller yet');
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new Error(`the broker did not become ready in time: ${lastError?.message ?? 'no answer'}`);
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a broker on `port` (client listener) and `controllerPort`, with data
 * in `dir` (default a new temp dir), and resolves once it serves clients and
 * groups. `detached` (the CLI) leaves it running after this process exits;
 * otherwise it is killed when this process goes away, even by SIGKILL.
 */
export async function startKafkaBroker(options = {}) {
  const version = options.version ?? kafkaVersion();
  const host = options.host ?? '127.0.0.1';
  const advertisedHost = options.advertisedHost ?? (host === '0.0.0.0' ? '127.0.0.1' : host);
  const port = options.port ?? (await freePort());
  let controllerPort = options.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const heapMb = options.heapMb ?? 512;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const detached = options.detached ?? false;
  const fastStartup = options.fastStartup ?? !detached;
  const log = options.log ?? (() => undefined);
  const { lib } = await fetchKafka({ version, log });

  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-kafka-')));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'broker.log');
  const configFile = join(dir, 'server.properties');
  const bootstrap = `${advertisedHost}:${port}`;
  await mkdir(join(dir, 'logs'), { recursive: true });
  let secure;
  let securityProperties = {};
  let formatArgs = [];
  if (options.saslSsl) {
    const users = options.saslSsl.users;
    if (!Array.isArray(users) || users.length === 0) throw new Error('saslSsl.users: give at least one { username, password }');
    for (const { username, password } of users) {
      // The SCRAM format argument and the JAAS line have no quoting for these.
      if (!/^[\w.-]+$/.test(username) || !/^[\w.@#%+-]+$/.test(password)) throw new Error(`saslSsl.users: ${username}: use letters, digits and . _ - (password also @ # % +)`);
    }
    let securePort = options.saslSsl.port ?? (await freePort());
    while (securePort === port || securePort === controllerPort) securePort = await freePort();
    const { caFile, keystoreFile } = await makeTls(join(dir, 'tls'), advertisedHost);
    securityProperties = saslSslProperties({ host, advertisedHost, port, securePort, controllerPort, keystoreFile, users });
    formatArgs = scramFormatArgs(users);
    secure = { bootstrap: `${advertisedHost}:${securePort}`, port: securePort, caFile, users: users.map((u) => ({ ...u })) };
  }
  await writeFile(configFile, serverProperties({ host, advertisedHost, port, controllerPort, dataDir, properties: { ...securityProperties, ...options.properties } }));
  await writeFile(join(dir, 'log4j.properties'), LOG4J);
  await writeFile(join(dir, 'log4j2.properties'), LOG4J2);
  const java = options.java ?? 'java';
  const jvm = (fast) => javaArgs({ lib, dir, heapMb, fastStartup: fast, jvmOptions: options.jvmOptions });
  const archive = archiveFile(version);

  let pid; // the JVM's
  let exited = Promise.resolve();
  let lastStartMs = 0;

  async function format() {
    if (existsSync(join(dataDir, 'meta.properties'))) return;
    const cds = existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
    await run(java, [...jvm(true), ...cds, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', configFile, ...formatArgs], { cwd: dir });
  }

  async function start() {
    if (pid !== undefined) return;
    const began = Date.now();
    await format();
    // Attached brokers build the class-data archive when none exists yet.
    const dumpTo = existsSync(archive) || detached ? undefined : `${archive}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const cds = dumpTo ? [`-XX:ArchiveClassesAtExit=${dumpTo}`] : existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
    const args = [...jvm(fastStartup), ...cds, 'kafka.Kafka', configFile];
    let proc;
    if (detached) {
      const out = openSync(logFile, 'a');
      proc = spawn(java, args, { cwd: dir, detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      proc.unref();
      pid = proc.pid;
    } else {
      proc = spawn('bash', ['-c', WATCHDOG, 'kafka-broker', logFile, java, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
      pid = await new Promise((resolve, reject) => {
        let text = '';
        proc.stdout.on('data', (d) => {
          text += d;
          if (text.includes('\n')) resolve(Number(text.split('\n')[0]));
        });
        proc.once('error', reject);
        proc.once('exit', (code) => reject(new Error(`the broker's launcher exited (${code})`)));
      });
      attached.add(pid);
    }
    const jvmPid = pid;
    let running = true;
    exited = new Promise((resolve) => {
      proc.once('exit', async (code) => {
        running = false;
        attached.delete(jvmPid);
        if (pid === jvmPid) pid = undefined;
        if (dumpTo) {
          // A clean stop (SIGTERM: exit 143 or 0) wrote a whole archive; anything else may not have.
          if ((code === 0 || code === 143) && existsSync(dumpTo) && !existsSync(archive)) await rename(dumpTo, archive).catch(() => undefined);
          await rm(dumpTo, { force: true });
        }
        resolve();
      });
    });
    try {
      await waitReady({ bootstrap, port, host: advertisedHost, deadline: began + startTimeoutMs, alive: () => running });
    } catch (err) {
      if (running) {
        signal(jvmPid, 'SIGKILL');
        if (detached) while (isAlive(jvmPid)) await sleep(50);
        else await exited;
      }
      pid = undefined;
      throw new Error(`Kafka ${version} on ${bootstrap} did not start: ${err.message}\n--- ${logFile} (tail) ---\n${tail(logFile)}`, { cause: err });
    }
    lastStartMs = Date.now() - began;
    log(`Kafka ${version} serving on ${bootstrap} after ${lastStartMs} ms (data in ${dir})`);
  }

  async function stopWith(name, graceMs) {
    const target = pid;
    if (target === undefined) return;
    signal(target, 'SIGCONT');
    signal(target, name);
    const timer = setTimeout(() => signal(target, 'SIGKILL'), graceMs);
    if (detached) while (isAlive(target)) await sleep(50);
    else await exited;
    clearTimeout(timer);
    if (pid === target) pid = undefined;
  }

  try {
    await start();
  } catch (err) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    bootstrap,
    port,
    controllerPort,
    dir,
    version,
    logFile,
    saslSsl: secure,
    get pid() {
      return pid;
    },
    get running() {
      return pid !== undefined;
    },
    get startupMs() {
      return lastStartMs;
    },
    start,
    stop: () => stopWith('SIGTERM', 30_000),
    kill: () => stopWith('SIGKILL', 0),
    pause: () => void (pid !== undefined && signal(pid, 'SIGSTOP')),
    resume: () => void (pid !== undefined && signal(pid, 'SIGCONT')),
    async destroy() {
      await stopWith('SIGTERM', 30_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `pid` is a running Kafka broker JVM (not a reused pid, not a zombie). */
export function isAlive(pid) {
  if (!signal(pid, 0)) return false;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')) return false;
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return existsSync('/proc') ? false : true; // no /proc (not Linux): trust kill(0)
  }
}
