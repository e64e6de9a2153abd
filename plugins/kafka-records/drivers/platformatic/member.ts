import {
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  protocolErrorsCodesById,
  type ConnectionPool,
  type MessagesStream,
  type RecordsBatch,
} from '@platformatic/kafka';

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { FetchedMessage, GroupMemberDriver, MemberEvents, MemberOptions } from '../../driver.ts';
import { kafkaErrorType } from '../../errors.ts';
import { subscriptionRoundRobin } from './assigner.ts';
import { clientOptions } from './client.ts';

/** Record batch attribute: a control batch (transaction markers), never delivered. */
const IS_CONTROL = 0x20;
/** Fetch failures in a row (each after the client's own retries) before the member gives up, as kafkajs's consumer does. */
const MAX_FAILURES = 3;
/** Partition errors after which the leader is looked up again. */
const STALE = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

const noop = () => undefined;

/**
 * A group member on @platformatic/kafka: its Consumer keeps the membership
 * (classic or KIP-848 protocol, its own heartbeat timers), and a fetch loop
 * here sends one Fetch per partition leader for the assigned partitions that
 * are not paused, at each one's own offset, handing each partition's records
 * over as one batch. Not its MessagesStream: that has one pause for the whole
 * stream, no per-partition seek, and builds and pushes one object per record.
 *
 * - Paused partitions are left out of the next Fetch; with all paused, the
 *   loop waits for a resume and the Consumer's timers go on heartbeating.
 * - A partition's records fetched before it was paused or sought again are
 *   dropped (`epoch`), so a reader never gets records from before its seek.
 * - OFFSET_OUT_OF_RANGE (the offset fell below the log start) moves the
 *   partition to the log start, as the kafkajs driver's recovery does.
 * - Joining goes through `consume()` (@platformatic/kafka 1.35 joins a KIP-848
 *   group only there); its stream is never read, so it never fetches, and its
 *   connections (apart from the group's) carry this loop's fetches.
 */
export class PlatformaticMember implements GroupMemberDriver {
  private readonly consumer: Consumer;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Partitions being fetched, at their next offset. */
  private readonly positions = new Map<number, bigint>();
  /** Bumped by every pause / seek of the partition: a fetch response for an older epoch is dropped. */
  private readonly epochs = new Map<number, number>();
  private assigned: readonly number[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly options: MemberOptions,
    private readonly config: KafkaRecordsConfig,
    private readonly logger: Logger,
  ) {
    this.consumer = new Consumer({
      ...clientOptions(config, 'consumer'),
      groupId: options.group,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: config.fetchMaxWaitMs,
      maxBytes: config.fetchMaxBytes,
      maxBytesPerPartition: config.fetchMaxBytesPerPartition,
      ...(config.groupProtocol === 'consumer'
        ? // The session timeout and heartbeat interval are the broker's; these only pass the client's own validation.
          { groupProtocol: 'consumer' as const, sessionTimeout: config.sessionTimeoutMs, heartbeatInterval: config.heartbeatIntervalMs, rebalanceTimeout: config.sessionTimeoutMs }
        : {
            groupProtocol: 'classic' as const,
            sessionTimeout: config.sessionTimeoutMs,
            heartbeatInterval: config.heartbeatIntervalMs,
            rebalanceTimeout: config.sessionTimeoutMs,
            // The kafkajs driver's protocol name and (standard) subscription
            // format: members of both drivers can share a group (a rolling switch).
            protocols: [{ name: 'RoundRobinAssigner', version: 0 }],
            partitionAssigner: subscriptionRoundRobin,
          }),
    });
  }

  async start(events: MemberEvents): Promise<void> {
    const { consumer } = this;
    // A failed rejoin is emitted as 'error': without a listener it would end the process.
    consumer.on('error', (err: unknown) => this.fail(events, err));
    consumer.on('consumer:group:join', () => this.checkAssignment(events, true));
    consumer.on('consumer:heartbeat:end', () => this.checkAssignment(events, false));
    this.stream = await consumer.consume({ topics: [this.options.topic], autocommit: false, mode: 'latest' });
    this.stream.on('error', (err: unknown) => this.fail(events, err));
    if (events.closing()) return;
    this.checkAssignment(events, false);
    this.loop = this.run(events);
  }

  pause(partition: number): void {
    this.positions.delete(partition);
    this.epochs.set(partition, (this.epochs.get(partition) ?? 0) + 1);
  }

  fetchFrom(partition: number, offset: bigint): void {
    this.positions.set(partition, offset);
    this.epochs.set(partition, (this.epochs.get(partition) ?? 0) + 1);
    this.wakeUp();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.consumer.close(true);
    await this.loop;
  }

  /** Reports the assignment when it changed (KIP-848 changes it from a heartbeat), or after every classic join. */
  private checkAssignment(events: MemberEvents, joined: boolean): void {
    if (this.stopped) return;
    const partitions = [...(this.consumer.assignments?.find((a) => a.topic === this.options.topic)?.partitions ?? [])].sort((a, b) => a - b);
    if (!joined && partitions.length === this.assigned.length && partitions.every((p, i) => p === this.assigned[i])) return;
    const kept = new Set(partitions);
    for (const partition of this.assigned) if (!kept.has(partition)) this.pause(partition);
    this.assigned = partitions;
    events.assigned(partitions);
  }

  private fail(events: MemberEvents, err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeUp();
    events.failed(err);
  }

  private async run(events: MemberEvents): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.config.groupProtocol === 'consumer') this.checkAssignment(events, false);
      const assigned = new Set(this.assigned);
      const wanted = [...this.positions].filter(([partition]) => assigned.has(partition));
      if (wanted.length === 0) {
        await this.idle(this.config.fetchMaxWaitMs);
        continue;
      }
      try {
        await this.fetchOnce(wanted, events);
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        failures++;
        this.logger.debug({ err, failures }, 'fetch failed');
        this.consumer.clearMetadata();
        if (failures >= MAX_FAILURES) {
          this.fail(events, err);
          return;
        }
        await this.idle(Math.min(200 * 2 ** failures, 2_000));
      }
    }
  }

  /** One Fetch per leader of the wanted partitions, in parallel. */
  private async fetchOnce(wanted: Array<[number, bigint]>, events: MemberEvents): Promise<void> {
    const { topic } = this.options;
    const metadata = await this.consumer.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic);
    if (!info) throw new Error(`no metadata for topic "${topic}"`);
    const byLeader = new Map<number, Array<[number, bigint]>>();
    for (const entry of wanted) {
      const leader = info.partitions[entry[0]]?.leader ?? -1;
      if (leader < 0) continue;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(entry);
    }
    if (byLeader.size === 0) {
      this.consumer.clearMetadata();
      await this.idle(this.config.fetchMaxWaitMs);
      return;
    }
    const pool = this.stream?.connections as ConnectionPool | undefined;
    await Promise.all(
      [...byLeader].map(async ([node, partitions]) => {
        const epochs = new Map(partitions.map(([p]) => [p, this.epochs.get(p) ?? 0]));
        const requested = new Map(partitions);
        let response: FetchResponse;
        try {
          response = await this.consumer.fetch({
            node,
            ...(pool && { connectionPool: pool }),
            topics: [
              {
                topicId: info.id,
                partitions: partitions.map(([partition, fetchOffset]) => ({
                  partition,
                  fetchOffset,
                  partitionMaxBytes: this.config.fetchMaxBytesPerPartition,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                })),
              },
            ],
          });
        } catch (err) {
          // A partition error fails the whole response; the others' records are in it.
          const partial = (err as { response?: FetchResponse }).response;
          if (partial?.responses === undefined) throw err;
          response = partial;
        }
        for (const { partitions: results } of response.responses) {
          for (const result of results) {
            const partition = result.partitionIndex;
            if (this.stopped || this.epochs.get(partition) !== epochs.get(partition)) continue;
            if (result.errorCode !== 0) {
              await this.onPartitionError(partition, result.errorCode, epochs.get(partition)!);
              continue;
            }
            this.deliver(partition, requested.get(partition)!, result.records ?? [], events);
          }
        }
      }),
    );
  }

  /** Hands the partition's records (from `from` on) over as one batch, and moves its offset past the last batch. */
  private deliver(partition: number, from: bigint, batches: readonly RecordsBatch[], events: MemberEvents): void {
    if (batches.length === 0) return;
    const messages: FetchedMessage[] = [];
    for (const batch of batches) {
      if (batch.attributes & IS_CONTROL) continue;
      for (const record of batch.records) {
        const offset = batch.firstOffset + BigInt(record.offsetDelta);
        if (offset < from) continue;
        let headers: FetchedMessage['headers'];
        if (record.headers.length > 0) {
          headers = {};
          for (const [name, value] of record.headers) {
            if (name === null) continue;
            const key = name.toString();
            const before = headers[key];
            // A repeated name keeps every value (kafkajs's shape); the mapping takes the last.
            headers[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before as Buffer]), ...(value === null ? [] : [value])];
          }
        }
        messages.push({
          offset,
          timestamp: batch.firstTimestamp + record.timestampDelta,
          key: record.key,
          value: record.value,
          ...(headers && { headers }),
        });
      }
    }
    const last = batches.at(-1)!;
    const lastOffset = last.firstOffset + BigInt(last.lastOffsetDelta);
    if (lastOffset < from) return;
    this.positions.set(partition, lastOffset + 1n);
    events.fetched(partition, { messages, lastOffset: () => lastOffset.toString() }, noop);
  }

  private async onPartitionError(partition: number, code: number, epoch: number): Promise<void> {
    const type = kafkaErrorType({ apiId: errorName(code) }) ?? String(code);
    if (type === 'OFFSET_OUT_OF_RANGE') {
      // Below the log start (retention, DeleteRecords): the oldest record left, whatever auto_offset_reset says (issue 9, defect 4).
      const offsets = await this.consumer.listOffsets({
        topics: [this.options.topic],
        partitions: { [this.options.topic]: [partition] },
        timestamp: ListOffsetTimestamps.EARLIEST,
      });
      const start = offsets.get(this.options.topic)?.[partition];
      if (start !== undefined && this.epochs.get(partition) === epoch && this.positions.has(partition)) {
        this.logger.debug({ partition, start }, 'offset out of range: going on at the log start');
        this.positions.set(partition, start);
      }
      return;
    }
    if (STALE.has(type)) {
      this.consumer.clearMetadata();
      await this.idle(100);
      return;
    }
    throw new Error(`fetching partition ${partition} failed: ${type}`);
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = wake;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }
}

/** The name of a Kafka protocol error code (what kafkaErrorType reads). */
function errorName(code: number): string {
  return (protocolErrorsCodesById as Record<number, string>)[code] ?? `ERROR_${code}`;
}
