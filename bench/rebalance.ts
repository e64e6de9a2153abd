/**
 * Rebalance time of the Kafka records store (issue 13), per driver and group
 * protocol: how long from a second member joining (subscribe) until the
 * group is split between both, from a member leaving (close) until the other
 * has every partition, and from a member dying (SIGKILL, no LeaveGroup) until
 * the other has every partition. The second member runs in a child process
 * (so it can die for real); the parent watches the first member's
 * assignments.
 *
 *   npx tsx bench/rebalance.ts            starts its own Kafka 4.1.2 broker
 *   REBALANCE_ROUNDS=3 REBALANCE_VERSION=4.1.2 KAFKA_BOOTSTRAP_SERVERS=...  (a 4.x broker for KIP-848)
 *
 * Each event comes at a random phase of the heartbeat interval. Timeouts, equal for both protocols: session 10 s, heartbeat 1 s (classic:
 * KAFKA_SESSION_TIMEOUT_MS / KAFKA_HEARTBEAT_INTERVAL_MS; KIP-848: the
 * broker's group.consumer.session.timeout.ms / heartbeat.interval.ms, set on
 * the broker this script starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { firstValueFrom, filter } from 'rxjs';
import { plugin } from '../plugins/kafka-records/index.ts';
import { startKafkaBroker } from '../scripts/kafka-broker.mjs';
import type { PartitionSource, RecordsStore, Subscription } from '../src/contracts/index.ts';

const PARTITIONS = 8;
const SESSION_MS = 10_000;
const HEARTBEAT_MS = 1_000;

interface Setup {
  driver: 'kafkajs' | 'platformatic';
  protocol: 'classic' | 'consumer';
}

const SETUPS: Setup[] = [
  { driver: 'kafkajs', protocol: 'classic' },
  { driver: 'platformatic', protocol: 'classic' },
  { driver: 'platformatic', protocol: 'consumer' },
];

function storeConfig(bootstrap: string, setup: Setup): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    KAFKA_DRIVER: setup.driver,
    KAFKA_GROUP_PROTOCOL: setup.protocol,
    KAFKA_SESSION_TIMEOUT_MS: String(SESSION_MS),
    KAFKA_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  };
}

const logger = pino({ level: process.env.REBALANCE_LOG ?? 'silent' });

function subscribe(store: RecordsStore, topic: string, group: string): Subscription {
  return store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
}

/** Resolves (with the time) when the subscription's assignment has `count` partitions. */
function assignedCount(subscription: Subscription, count: number): Promise<number> {
  return firstValueFrom(subscription.assignments.pipe(filter((a: readonly PartitionSource[]) => a.length === count))).then(() => Date.now());
}

/** The second member, in a child process: subscribes on "join", closes on "leave", and says when it has partitions. */
async function child(): Promise<void> {
  const [bootstrap, driver, protocol, topic, group] = process.argv.slice(3);
  const store = await plugin.create({ config: storeConfig(bootstrap!, { driver, protocol } as Setup), logger });
  console.log('ready');
  let subscription: Subscription | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'join') {
      subscription = subscribe(store, topic!, group!);
      subscription.assignments.subscribe((a) => console.log(`assigned ${a.length} ${Date.now()}`));
    } else if (line === 'leave') {
      await subscription?.close();
      console.log(`left ${Date.now()}`);
    }
  }
}

class Member {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly process: ChildProcess) {
    this.lines = createInterface({ input: process.stdout! })[Symbol.asyncIterator]();
  }

  static async start(args: string[]): Promise<Member> {
    const proc = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'child', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const member = new Member(proc);
    await member.until((line) => line === 'ready');
    return member;
  }

  send(command: string): void {
    this.process.stdin!.write(`${command}\n`);
  }

  async until(match: (line: string) => boolean): Promise<string> {
    for (;;) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error('the member process ended');
      if (match(value)) return value;
    }
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }

  stop(): void {
    this.process.stdin!.end();
    this.process.kill('SIGTERM');
  }
}

interface Times {
  join: number;
  leave: number;
  die: number;
}

async function round(bootstrap: string, setup: Setup, n: number): Promise<Times> {
  const topic = `rebalance-${setup.driver}-${setup.protocol}-${n}-${Date.now()}`;
  const group = `${topic}-group`;
  const store = await plugin.create({ config: storeConfig(bootstrap, setup), logger });
  const args = [bootstrap, setup.driver, setup.protocol, topic, group];
  try {
    const first = subscribe(store, topic, group);
    await assignedCount(first, PARTITIONS);

    const joiner = await Member.start(args);
    await randomPhase();
    let began = Date.now();
    const split = assignedCount(first, PARTITIONS / 2);
    joiner.send('join');
    const joined = await joiner.until((line) => line.startsWith(`assigned ${PARTITIONS / 2} `));
    const join = Math.max(await split, Number(joined.split(' ')[2])) - began;

    await randomPhase();
    began = Date.now();
    const whole = assignedCount(first, PARTITIONS);
    joiner.send('leave');
    const leave = (await whole) - began;
    joiner.stop();

    const victim = await Member.start(args);
    const split2 = assignedCount(first, PARTITIONS / 2);
    victim.send('join');
    await victim.until((line) => line.startsWith(`assigned ${PARTITIONS / 2} `));
    await split2;
    await randomPhase();
    began = Date.now();
    const whole2 = assignedCount(first, PARTITIONS);
    victim.kill();
    const die = (await whole2) - began;
    await first.close();
    return { join, leave, die };
  } finally {
    await store.close();
  }
}

/**
 * A random wait of up to one heartbeat interval before each event: a member
 * learns of a rebalance at its next heartbeat, and without this the event's
 * phase against the heartbeat timer would be fixed by the script's own steps
 * (it was: the same few ms in every round), not random as in production.
 */
const randomPhase = () => new Promise((resolve) => setTimeout(resolve, Math.random() * HEARTBEAT_MS));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rounds = Number(process.env.REBALANCE_ROUNDS ?? 3);
  let bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
  let broker: Awaited<ReturnType<typeof startKafkaBroker>> | undefined;
  const version = process.env.REBALANCE_VERSION ?? '4.1.2';
  if (!bootstrap) {
    broker = await startKafkaBroker({
      version,
      properties: {
        'group.consumer.session.timeout.ms': String(SESSION_MS),
        'group.consumer.min.session.timeout.ms': String(SESSION_MS),
        'group.consumer.heartbeat.interval.ms': String(HEARTBEAT_MS),
        'group.consumer.min.heartbeat.interval.ms': String(HEARTBEAT_MS),
      },
    });
    bootstrap = broker.bootstrap;
  }
  const setups = SETUPS.filter((s) => !process.env.REBALANCE_SETUPS || process.env.REBALANCE_SETUPS.split(',').includes(`${s.driver}/${s.protocol}`));
  console.log(`Kafka ${broker ? version : `at ${bootstrap}`}, ${PARTITIONS} partitions, session ${SESSION_MS} ms, heartbeat ${HEARTBEAT_MS} ms, ${rounds} rounds (ms, median and all rounds)`);
  console.log('| driver | protocol | member joins | member leaves | member dies |');
  console.log('|---|---|---:|---:|---:|');
  try {
    for (const setup of setups) {
      const times: Times[] = [];
      for (let n = 0; n < rounds; n++) times.push(await round(bootstrap, setup, n));
      const cell = (key: keyof Times) => `${median(times.map((t) => t[key]))} (${times.map((t) => t[key]).join(', ')})`;
      console.log(`| ${setup.driver} | ${setup.protocol} | ${cell('join')} | ${cell('leave')} | ${cell('die')} |`);
    }
  } finally {
    await broker?.destroy();
  }
}

if (process.argv[2] === 'child') {
  await child();
} else if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await main();
}
