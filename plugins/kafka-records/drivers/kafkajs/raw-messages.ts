import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { FetchedColumns } from '../../record-columns.ts';
import { kafkajsVersionMismatch, type Installation } from './kafkajs-version.ts';

/**
 * Fetches of the gateway's own consumer groups without a message object per
 * record. kafkajs turns each partition of a fetch response into messages
 * (decodeMessages) and then a Batch, whose constructor filters those
 * messages three times with a BigInt-backed Long per offset; together that
 * was about 0.7 µs of the gateway's 1.6-2.2 µs per received record of 100 B
 * (bench/receive-pipeline.ts), and the messages were garbage once copied.
 *
 * Here, for a ConsumerGroup whose group id is registered (registerRawGroup),
 * ConsumerGroup.fetch runs in a context in which our decoder
 * (record-batches.ts) indexes record batches as columns (record-columns.ts)
 * and hands kafkajs a RawMessages in place of the message array. kafkajs's
 * Batch constructor only calls filter() on it, which RawMessages records
 * without running; the wrapped fetch then replaces each such Batch:
 *
 * - by a RawBatch, when the filters were the two kafkajs always applies
 *   (offset at or past the fetched offset, no control records), which
 *   RawBatch applies itself, over the columns;
 * - by kafkajs's own Batch fields over decoded messages, with the recorded
 *   filters run on them in order, when there was a third (the partition had
 *   aborted transactions): exactly what kafkajs would have made.
 *
 * Other consumers in the process (none in the gateway; tests' own) never
 * see either: their fetches are not in the context.
 */

const require = createRequire(import.meta.url);
const rawFetch = new AsyncLocalStorage<true>();

/** Whether the running fetch is one of a registered group's. */
export const inRawFetch = (): boolean => rawFetch.getStore() === true;

type Predicate = (message: unknown) => boolean;

/** What decodeMessages returns in a raw fetch: the columns, and the filters kafkajs's Batch asked for. */
export class RawMessages {
  constructor(
    readonly fetched: FetchedColumns,
    readonly filters: readonly Predicate[] = [],
  ) {}

  /** Records kafkajs's filter instead of running it (see above). */
  filter(predicate: Predicate): RawMessages {
    return new RawMessages(this.fetched, [...this.filters, predicate]);
  }
}

/**
 * A fetched partition as kafkajs's Batch would describe it (the methods its
 * runner calls), over columns. `columns` is what the gateway reads;
 * `messages` only has a length (the runner reports it): nothing iterates it.
 */
export class RawBatch {
  readonly messages: { readonly length: number };
  /** The fetched rows from the first at or past the fetched offset (what kafkajs's filter would keep). */
  readonly columns: FetchedColumns;
  /** The first row at or past the fetched offset (control records counted, as kafkajs's messagesWithinOffset). */
  private readonly within: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly highWatermark: string,
    readonly fetchedOffset: string,
    fetched: FetchedColumns,
  ) {
    const { rows, control } = fetched;
    let within = fetched.firstRow;
    while (within < rows && offsetOf(fetched, within) < Number(fetchedOffset)) within++;
    this.within = within;
    this.columns = { ...fetched, firstRow: within };
    // Rows past the fetched offset, control records left out (most fetches have none: no scan then).
    let length = rows - within;
    if (control !== undefined) for (let row = within; row < rows; row++) length -= control[row]!;
    this.messages = Object.freeze({ length });
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  isEmptyIncludingFiltered(): boolean {
    return this.within === this.columns.rows;
  }

  isEmptyDueToFiltering(): boolean {
    return this.isEmpty() && this.columns.rows > 0;
  }

  isEmptyControlRecord(): boolean {
    const { control, rows } = this.columns;
    if (!this.isEmpty() || control === undefined) return false;
    for (let row = this.within; row < rows; row++) if (control[row] === 1) return true;
    return false;
  }

  isEmptyDueToLogCompactedMessages(): boolean {
    return this.columns.rows > 0 && this.isEmptyIncludingFiltered();
  }

  firstOffset(): string | null {
    return this.isEmptyIncludingFiltered() ? null : String(offsetOf(this.columns, this.within));
  }

  lastOffset(): string {
    if (this.isEmptyDueToLogCompactedMessages()) return this.fetchedOffset;
    if (this.isEmptyIncludingFiltered()) return String(BigInt(this.highWatermark) - 1n);
    return String(offsetOf(this.columns, this.columns.rows - 1));
  }

  offsetLag(): string {
    return String(BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset()));
  }

  offsetLagLow(): string {
    const first = this.firstOffset();
    return first === null ? '0' : String(BigInt(this.highWatermark) - 1n - BigInt(first));
  }
}

const offsetOf = (fetched: FetchedColumns, row: number): number => fetched.columns[row * 6]!;

interface KafkajsBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  fetchedOffset: string;
  rawMessages: unknown;
  messagesWithinOffset: unknown;
  messages: unknown;
}

/** The kafkajs messages of a raw fetch, decoded, with kafkajs's recorded filters run on them in order. */
async function asKafkajsBatch(batch: KafkajsBatch, raw: RawMessages): Promise<KafkajsBatch> {
  const { decodeRecordBatches } = await import('./record-batches.ts');
  const all = await decodeRecordBatches(raw.fetched.bytes);
  const [withinOffset, ...rest] = raw.filters;
  batch.rawMessages = all;
  batch.messagesWithinOffset = withinOffset === undefined ? all : all.filter(withinOffset);
  let messages = batch.messagesWithinOffset as unknown[];
  for (const predicate of rest) messages = messages.filter(predicate);
  batch.messages = messages;
  return batch;
}

async function replaceRaw(batch: KafkajsBatch): Promise<unknown> {
  const raw = batch.messages;
  if (!(raw instanceof RawMessages)) return batch;
  // Two filters: the offset and control-record ones kafkajs always applies (RawBatch applies them); a third is the aborted transactions'.
  if (raw.filters.length === 2) return new RawBatch(batch.topic, batch.partition, batch.highWatermark, batch.fetchedOffset, raw.fetched);
  return asKafkajsBatch(batch, raw);
}

/** Group ids whose fetches go raw, with how many members of this process registered each. */
const rawGroups = new Map<string, number>();

/** Lets `groupId`'s fetches go raw; the returned function undoes it. */
export function registerRawGroup(groupId: string): () => void {
  rawGroups.set(groupId, (rawGroups.get(groupId) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const left = rawGroups.get(groupId)! - 1;
    if (left === 0) rawGroups.delete(groupId);
    else rawGroups.set(groupId, left);
  };
}

interface ConsumerGroupLike {
  groupId: string;
  fetch(nodeId: number): Promise<KafkajsBatch[]>;
}

let installed = false;

/** Wraps kafkajs's ConsumerGroup.fetch (once per process); says why not on another kafkajs version. */
export function installKafkajsRawFetch(): Installation {
  if (installed) return { installed };
  const mismatch = kafkajsVersionMismatch('test/kafka/raw-fetch.test.ts');
  if (mismatch !== undefined) return { installed, reason: mismatch };
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: ConsumerGroupLike };
  const proto = ConsumerGroup.prototype;
  const fetch = proto.fetch;
  if (typeof fetch !== 'function') return { installed, reason: 'kafkajs ConsumerGroup has no fetch' };
  proto.fetch = async function (this: ConsumerGroupLike, nodeId: number): Promise<KafkajsBatch[]> {
    if (!rawGroups.has(this.groupId)) return fetch.call(this, nodeId);
    const batches = await rawFetch.run(true, () => fetch.call(this, nodeId));
    return (await Promise.all(batches.map(replaceRaw))) as KafkajsBatch[];
  };
  installed = true;
  return { installed };
}
