/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Assignment, ReceiveStream, SubscribeStream } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url).pathname;
const PARTITIONS = 4;

/**
 * The dashboard in a real headless Chromium (Debian's package, driven by
 * playwright-core) against two gateways sharing Kafka and Redis, with real
 * traffic: groups, partitions, holders and lag appear, and follow publishes
 * and acks. Saves docs/dashboard.png.
 */
describe('dashboard in a browser', () => {
  let a: TestGateway;
  let b: TestGateway;
  let browser: BrowserContext;
  let userDataDir: string;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH`);
    const env = {
      RECORDS_STORE: 'kafka',
      KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      POSITIONS_STORE: 'redis',
      REDIS_URL: inject('redisUrl'),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DASHBOARD_ENABLED: 'true',
      DASHBOARD_REFRESH_MS: '250',
      METRICS_CACHE_TTL_MS: '200',
    };
    [a, b] = await Promise.all([startTestGateway(env), startTestGateway(env)]);
    userDataDir = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
    // A fresh, empty profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      viewport: { width: 1360, height: 1000 },
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([a?.stop(), b?.stop()]);
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  /** The text of each lag cell of a group, by partition. */
  const lagCells = (page: Page, group: string) =>
    page.$$eval(`[data-group="${group}"] tbody tr`, (rows) =>
      Object.fromEntries(rows.map((row) => [row.getAttribute('data-partition'), row.querySelector('td.lag')?.textContent ?? ''])),
    );

  it('shows groups, partitions, holders on both gateways and lag, live as records are published and acked', { timeout: 120_000 }, async () => {
    const topic = uniqueName('dash');
    const group = uniqueName('orders');
    const groupId = `${topic}/${group}/1`;
    const ends = new Map<number, number>();
    const publish = async (count: number, from = 0) => {
      for (let i = from; i < from + count; i++) {
        const reply = await a.client.publish({ topic, key: Buffer.from(`key-${i}`), value: Buffer.from(`record ${i}`) });
        ends.set(reply.partition, Math.max(ends.get(reply.partition) ?? -1, Number(reply.offset)));
      }
    };
    await publish(40);
    expect(ends.size).toBe(PARTITIONS);

    // One member on each gateway: the group's partitions split between them.
    const onA = a.client.subscribe({ topic, group: `${group}-v1` });
    await onA.until((x) => x.length > 0);
    const onB = b.client.subscribe({ topic, group: `${group}-v1` });
    const subscriptions: SubscribeStream[] = [onA, onB];
    const streams: ReceiveStream[] = [];
    try {
      await onB.until((x) => x.length > 0);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${a.sluice.metricsPort}/dashboard`);
      await page.waitForSelector(`[data-group="${groupId}"] tbody tr:nth-child(${PARTITIONS})`, { timeout: 30_000 });
      expect(await page.textContent('#live')).toBe('live');

      // Holders: the gateway holding each partition, as both gateways report to Redis; the split settles after B joins.
      const idOf = (gateway: TestGateway) => `:${gateway.sluice.port}`;
      await page.waitForFunction(
        ({ group, ids, partitions }) => {
          const cells = [...document.querySelectorAll(`[data-group="${group}"] tbody td.holder`)].map((td) => td.textContent ?? '');
          return cells.length === partitions && ids.every((id) => cells.filter((c) => c.endsWith(id)).length === partitions / 2);
        },
        { group: groupId, ids: [idOf(a), idOf(b)], partitions: PARTITIONS },
        { timeout: 30_000 },
      );
      const holders = await page.$$eval(`[data-group="${groupId}"] tbody tr`, (rows) =>
        rows.map((row) => ({ partition: Number(row.getAttribute('data-partition')), holder: row.querySelector('td.holder')?.textContent ?? '' })),
      );
      const partitionsOf = (gateway: TestGateway) => holders.filter((h) => h.holder.endsWith(idOf(gateway))).map((h) => h.partition);
      // The page agrees with the gateways' own sessions.
      const sessionOf = (gateway: TestGateway) => gateway.sluice.gateway.sessionViews()[0]!;
      expect(sessionOf(a).partitions).toEqual(partitionsOf(a));
      expect(sessionOf(b).partitions).toEqual(partitionsOf(b));
      const partitionsOfB = new Set(partitionsOf(b));
      const heldByA = partitionsOf(a).map((partition) => ({ sessionId: sessionOf(a).id, partition }));
      const heldByB = partitionsOf(b).map((partition) => ({ sessionId: sessionOf(b).id, partition }));
      await page.waitForFunction((n) => document.querySelectorAll('#gateways tbody tr').length === n, 2);

      // Nothing acked yet: each partition is behind by everything written (end + 1).
      const unacked = Object.fromEntries([...ends].map(([p, end]) => [String(p), String(end + 1)]));
      await page.waitForFunction(
        ({ group, want }) =>
          Object.entries(want).every(
            ([p, lag]) => document.querySelector(`[data-group="${group}"] tr[data-partition="${p}"] td.lag`)?.textContent === lag,
          ),
        { group: groupId, want: unacked },
      );

      // Read everything and ack it to the end on A's partitions, to the first record on B's.
      for (const assignment of heldByA) streams.push(receiveAndAck(a, assignment, () => true));
      for (const assignment of heldByB) streams.push(receiveAndAck(b, assignment, (offset) => offset === 0));
      const afterAcks = Object.fromEntries(
        [...ends].map(([p, end]) => [String(p), partitionsOfB.has(p) ? String(end) : '0']),
      );
      await page.waitForFunction(
        ({ group, want }) =>
          Object.entries(want).every(
            ([p, lag]) => document.querySelector(`[data-group="${group}"] tr[data-partition="${p}"] td.lag`)?.textContent === lag,
          ),
        { group: groupId, want: afterAcks },
        { timeout: 30_000 },
      );
      await page.waitForFunction((n) => document.querySelectorAll('#streams tbody tr').length === n, PARTITIONS);

      // More traffic over a few seconds: A keeps up, B's lag grows; the page follows.
      for (let round = 0; round < 12; round++) {
        await publish(8, 40 + round * 8);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const grown = Object.fromEntries([...ends].filter(([p]) => partitionsOfB.has(p)).map(([p, end]) => [String(p), String(end)]));
      await page.waitForFunction(
        ({ group, want, zero }) =>
          Object.entries(want).every(([p, lag]) => document.querySelector(`[data-group="${group}"] tr[data-partition="${p}"] td.lag`)?.textContent === lag) &&
          zero.every((p) => document.querySelector(`[data-group="${group}"] tr[data-partition="${p}"] td.lag`)?.textContent === '0'),
        { group: groupId, want: grown, zero: heldByA.map((x) => String(x.partition)) },
        { timeout: 30_000 },
      );
      const lags = await lagCells(page, groupId);
      for (const [p, end] of ends) expect(lags[p]).toBe(partitionsOfB.has(p) ? String(end) : '0');
      expect(await page.$$eval(`[data-group="${groupId}"] svg.spark polyline`, (lines) => lines.length)).toBeGreaterThan(0);

      // A failed call shows among the recent errors.
      await a.client.publish({ topic: 'bad topic!', value: Buffer.from('x') }).catch(() => undefined);
      await page.waitForFunction(() => document.querySelector('#errors')?.textContent?.includes('INVALID_ARGUMENT'));
      expect(errors).toEqual([]);

      // Throughput shows while records flow (the screenshot is taken then).
      const traffic = (async () => {
        for (let round = 0; round < 10; round++) {
          await publish(6, 200 + round * 6);
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      })();
      await page.waitForFunction(
        (group) => [...document.querySelectorAll(`[data-group="${group}"] td.rate`)].some((td) => Number(td.textContent) > 0),
        groupId,
        { timeout: 30_000 },
      );
      await mkdir(new URL('.', `file://${SCREENSHOT}`).pathname, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await traffic;
      await page.close();
    } finally {
      for (const stream of streams) stream.cancel();
      for (const subscription of subscriptions) subscription.cancel();
    }
  });
});

/** Receives a partition and acks each record `shouldAck` accepts, through the gateway that holds it. */
function receiveAndAck(gateway: TestGateway, assignment: Assignment, shouldAck: (offset: number) => boolean): ReceiveStream {
  const stream = gateway.client.receive({ assignment });
  stream.call.on('data', (reply: { record?: { offset: string } }) => {
    const offset = reply.record?.offset;
    if (offset !== undefined && shouldAck(Number(offset))) void gateway.client.ack({ assignment, offset }).catch(() => undefined);
  });
  return stream;
}
