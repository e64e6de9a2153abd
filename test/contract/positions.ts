import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupId, PartitionPositions, PositionsStore, StoredPositions } from '../../src/contracts/index.ts';

const RUN = randomBytes(3).toString('hex');
let counter = 0;
/** A name no other test (of this run or an earlier one on the same server) uses. */
function unique(label: string): string {
  return `${label}-${RUN}-${++counter}`;
}

function g(name: string, version = 0): GroupId {
  return { name, version };
}

function plain(positions: PartitionPositions): Record<number, bigint> {
  return Object.fromEntries([...positions].sort(([a], [b]) => a - b));
}

async function collect(iterable: AsyncIterable<StoredPositions>, topics: ReadonlySet<string>): Promise<StoredPositions[]> {
  const found: StoredPositions[] = [];
  for await (const entry of iterable) if (topics.has(entry.topic)) found.push(entry);
  return found;
}

/**
 * The positions-store contract (TCK): every PositionsStore plugin runs it.
 * Topics and groups are unique per test, so suites may share one server.
 *
 * `reopen` gives a new store instance on the same backing as `makeStore`'s
 * (a new connection to the same server); given, the suite checks that acked
 * positions survive into it. A store without a backing (memory) omits it.
 */
export function describePositionsStore(
  name: string,
  makeStore: () => Promise<PositionsStore>,
  reopen?: () => Promise<PositionsStore>,
): void {
  describe(`positions store contract: ${name}`, () => {
    const opened: PositionsStore[] = [];
    async function open(factory: () => Promise<PositionsStore> = makeStore): Promise<PositionsStore> {
      const store = await factory();
      opened.push(store);
      return store;
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('fetches an empty map for a group that never acked', async () => {
      const store = await open();
      const topic = unique('empty');
      expect((await store.fetch(topic, g('nobody'))).size).toBe(0);
      expect((await store.fetch(topic, g('nobody', 3))).size).toBe(0);
      expect((await store.fetchAllVersions(topic, 'nobody')).size).toBe(0);
    });

    it('fetches what was updated, per partition', async () => {
      const store = await open();
      const topic = unique('update');
      await store.update(topic, g('grp'), 0, 5n);
      await store.update(topic, g('grp'), 3, 0n);
      await store.update(topic, g('grp'), 7, 42n);
      expect(plain(await store.fetch(topic, g('grp')))).toEqual({ 0: 5n, 3: 0n, 7: 42n });
    });

    it('keeps the last write, also when it is lower (10, 200, 100 leaves 100)', async () => {
      const store = await open();
      const topic = unique('last-wins');
      for (const offset of [10n, 200n, 100n]) await store.update(topic, g('grp'), 1, offset);
      expect((await store.fetch(topic, g('grp'))).get(1)).toBe(100n);
    });

    it('keeps the value of the latest call when calls overlap, and resolves every call', async () => {
      const store = await open();
      const topic = unique('last-wins-overlap');
      // Not awaited in between: a store that batches must still let the last call win.
      await Promise.all([10n, 200n, 100n].map((offset) => store.update(topic, g('grp'), 1, offset)));
      expect((await store.fetch(topic, g('grp'))).get(1)).toBe(100n);

      const offsets = Array.from({ length: 500 }, (_, i) => BigInt((i * 7919) % 1000));
      await Promise.all(offsets.map((offset) => store.update(topic, g('grp'), 2, offset)));
      expect((await store.fetch(topic, g('grp'))).get(2)).toBe(offsets.at(-1));
    });

    it('keeps versions of a group independent', async () => {
      const store = await open();
      const topic = unique('versions');
      await store.update(topic, g('grp', 0), 0, 1n);
      await store.update(topic, g('grp', 1), 0, 10n);
      await store.update(topic, g('grp', 2), 0, 20n);
      await store.update(topic, g('grp', 2), 1, 21n);
      await store.update(topic, g('grp', 1), 0, 11n);
      expect(plain(await store.fetch(topic, g('grp', 0)))).toEqual({ 0: 1n });
      expect(plain(await store.fetch(topic, g('grp', 1)))).toEqual({ 0: 11n });
      expect(plain(await store.fetch(topic, g('grp', 2)))).toEqual({ 0: 20n, 1: 21n });
      expect((await store.fetch(topic, g('grp', 3))).size).toBe(0);
    });

    it('returns every version from fetchAllVersions', async () => {
      const store = await open();
      const topic = unique('all-versions');
      await store.update(topic, g('grp', 0), 0, 100n);
      await store.update(topic, g('grp', 1), 0, 5n);
      await store.update(topic, g('grp', 1), 4, 6n);
      await store.update(topic, g('grp', 4_294_967_295), 2, 7n);
      const versions = await store.fetchAllVersions(topic, 'grp');
      expect([...versions.keys()].sort((a, b) => a - b)).toEqual([0, 1, 4_294_967_295]);
      expect(plain(versions.get(0)!)).toEqual({ 0: 100n });
      expect(plain(versions.get(1)!)).toEqual({ 0: 5n, 4: 6n });
      expect(plain(versions.get(4_294_967_295)!)).toEqual({ 2: 7n });
    });

    it('lists every (topic, group version) from findAll', async () => {
      const store = await open();
      const topicA = unique('find-all-a');
      const topicB = unique('find-all-b');
      await store.update(topicA, g('one', 0), 0, 1n);
      await store.update(topicA, g('one', 0), 1, 2n);
      await store.update(topicA, g('one', 2), 0, 3n);
      await store.update(topicA, g('two', 0), 5, 4n);
      await store.update(topicB, g('one', 0), 0, 5n);
      const found = await collect(store.findAll(), new Set([topicA, topicB]));
      const summary = found
        .map((entry) => `${entry.topic}|${entry.group.name}|${entry.group.version}|${JSON.stringify(plain(entry.positions), (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`)
        .sort();
      expect(summary).toEqual(
        [
          `${topicA}|one|0|{"0":"1","1":"2"}`,
          `${topicA}|one|2|{"0":"3"}`,
          `${topicA}|two|0|{"5":"4"}`,
          `${topicB}|one|0|{"0":"5"}`,
        ].sort(),
      );
    });

    it('isolates topics and groups, whatever characters their names hold', async () => {
      const store = await open();
      const base = unique('iso');
      // Pairs that a naive "topic:group" or "group:version" key would confuse.
      const cases: Array<[topic: string, group: GroupId]> = [
        [base, g('grp')],
        [base, g('grp1')],
        [base, g('gr')],
        [`${base}-x`, g('grp')],
        [`${base}:grp`, g('x')],
        [base, g('grp:x')],
        [base, g('grp-v2')],
        [base, g('grp', 2)],
        [base, g('grp-v2', 2)],
        [base, g('{grp}')],
        [base, g('gr}p{')],
        [`${base}{`, g('}grp')],
        [base, g('a:0:1')],
        [base, g('a', 0)],
        [base, g('a:0', 1)],
        [base, g('%7B')],
        [base, g('with space/and\\slash*?[x]')],
        [base, g('grüppe ✓')],
        [base, g('')],
      ];
      await Promise.all(cases.map(([topic, group], i) => store.update(topic, group, 0, BigInt(i))));
      for (const [i, [topic, group]] of cases.entries()) {
        expect(plain(await store.fetch(topic, group)), `${topic} / ${group.name} v${group.version}`).toEqual({ 0: BigInt(i) });
      }
      // Only exact names: no prefix matches, no "-v2" aliasing (that mapping is the gateway's job).
      expect([...(await store.fetchAllVersions(base, 'grp')).keys()].sort()).toEqual([0, 2]);
      expect([...(await store.fetchAllVersions(base, 'grp-v2')).keys()].sort()).toEqual([0, 2]);
      expect([...(await store.fetchAllVersions(base, 'gr')).keys()]).toEqual([0]);
      expect([...(await store.fetchAllVersions(base, 'a')).keys()]).toEqual([0]);
      expect([...(await store.fetchAllVersions(base, 'a:0')).keys()]).toEqual([1]);
      expect((await store.fetchAllVersions(`${base}-`, 'grp')).size).toBe(0);

      const topics = new Set(cases.map(([topic]) => topic));
      const found = await collect(store.findAll(), topics);
      const key = (topic: string, group: GroupId) => JSON.stringify([topic, group.name, group.version]);
      expect(found.map((entry) => key(entry.topic, entry.group)).sort()).toEqual(cases.map(([topic, group]) => key(topic, group)).sort());
    });

    it('keeps offsets exact over the whole uint64 range', async () => {
      const store = await open();
      const topic = unique('big');
      const offsets = [0n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 63n + 1n, 2n ** 64n - 2n, 2n ** 64n - 1n];
      await Promise.all(offsets.map((offset, partition) => store.update(topic, g('grp'), partition, offset)));
      const positions = await store.fetch(topic, g('grp'));
      expect(offsets.map((_, partition) => positions.get(partition))).toEqual(offsets);
      for (const offset of positions.values()) expect(typeof offset).toBe('bigint');
      const found = await collect(store.findAll(), new Set([topic]));
      expect(found[0]?.positions.get(6)).toBe(2n ** 64n - 1n);
    });

    it('lands every one of many concurrent updates to different partitions and groups', async () => {
      const store = await open();
      const topic = unique('concurrent');
      const updates: Promise<void>[] = [];
      for (let partition = 0; partition < 256; partition++) {
        for (const group of [g('a'), g('a', 1), g('b')]) updates.push(store.update(topic, group, partition, BigInt(partition * 1000 + group.version)));
      }
      await Promise.all(updates);
      for (const group of [g('a'), g('a', 1), g('b')]) {
        const positions = await store.fetch(topic, group);
        expect(positions.size).toBe(256);
        for (const [partition, offset] of positions) expect(offset).toBe(BigInt(partition * 1000 + group.version));
      }
    });

    it('reads its own writes: an update that resolved is seen by the next fetch', async () => {
      const store = await open();
      const topic = unique('read-own');
      for (let i = 0n; i < 20n; i++) {
        await store.update(topic, g('grp'), 0, i);
        expect((await store.fetch(topic, g('grp'))).get(0)).toBe(i);
      }
    });

    if (reopen) {
      it('keeps acked positions for a new store instance on the same backing', async () => {
        const first = await open();
        const topic = unique('persist');
        await first.update(topic, g('grp'), 0, 2n ** 63n + 5n);
        await first.update(topic, g('grp', 3), 9, 9n);
        await first.close();
        const second = await open(reopen);
        expect(plain(await second.fetch(topic, g('grp')))).toEqual({ 0: 2n ** 63n + 5n });
        expect(plain(await second.fetch(topic, g('grp', 3)))).toEqual({ 9: 9n });
        const found = await collect(second.findAll(), new Set([topic]));
        expect(found.length).toBe(2);
      });
    }

    it('closes idempotently', async () => {
      const store = await open();
      await store.update(unique('close'), g('grp'), 0, 1n);
      await store.close();
      await store.close();
      await Promise.all([store.close(), store.close()]);
    });
  });
}
