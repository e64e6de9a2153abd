import { Redis, type RedisOptions } from 'ioredis';
import { pino, type Logger } from 'pino';
import {
  checkPositionUpdate,
  SluiceError,
  UnavailableError,
  type GroupId,
  type PartitionPositions,
  type PositionsStore,
  type StoredPositions,
} from '../../src/contracts/index.ts';
import { AckBatcher, type AckBatcherStats, type Batch } from './ack-batcher.ts';
import type { RedisConnection } from './config.ts';
import { DEFAULT_PREFIX, groupKey, parseField, parseGroupKey, parseOffset, positionField, scanPattern } from './keys.ts';

export interface RedisPositionsStoreOptions {
  connection: RedisConnection;
  logger?: Logger;
  /** Key prefix (see keys.ts). Default `sluice:positions:`. */
  keyPrefix?: string;
  /** A command without a reply for this long fails with UnavailableError. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Limit for establishing a connection (TCP + TLS + handshake). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect backoff grows from 50 ms up to this. Default 1000 ms. */
  maxReconnectDelayMs?: number;
  /** Most (version, partition) fields written per flush. Default 10 000. */
  maxFieldsPerFlush?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** Redis errors that mean "not now" rather than "never". */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'OOM', 'TRYAGAIN', 'CLUSTERDOWN', 'NOAUTH', 'NOREPLICAS', 'MISCONF']);

/**
 * Group positions in Redis: one hash per (topic, group name), a field per
 * (version, partition), offsets as exact decimal strings (layout: keys.ts).
 *
 * Acks: update() resolves only after Redis acknowledged an HSET holding its
 * value (or a later value of the same field). Concurrent updates are group
 * committed by an AckBatcher: one pipeline in flight, one HSET per key in it.
 *
 * Faults: commands are never queued while disconnected (no offline queue, no
 * resend after a reconnect): they fail at once, or after commandTimeoutMs for
 * a server that stopped answering, with UnavailableError. The client keeps
 * reconnecting in the background, so the store recovers by itself.
 */
export class RedisPositionsStore implements PositionsStore {
  readonly #redis: Redis;
  readonly #connection: RedisConnection;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  readonly #batcher: AckBatcher<string>;
  #closed = false;
  /** The server's URL with any password masked. */
  readonly address: string;
  #closing: Promise<void> | undefined;
  /** Set while the connection is lost, so that we log transitions, not every retry. */
  #lostSince: number | undefined;
  /** False until the first connection is up: failing to connect at all is connect()'s error, not a lost connection. */
  #wasReady = false;

  private constructor(options: RedisPositionsStoreOptions, redis: Redis) {
    this.#redis = redis;
    this.#connection = options.connection;
    this.address = options.connection.display;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#batcher = new AckBatcher<string>((batch) => this.#write(batch), { maxFieldsPerFlush: options.maxFieldsPerFlush ?? 10_000 });
    redis.on('error', (err: Error) => this.#connectionLost(err));
    redis.on('close', () => this.#connectionLost());
    redis.on('ready', () => {
      this.#wasReady = true;
      if (this.#lostSince === undefined) return;
      this.#logger.info({ redis: this.#connection.display, downMs: Date.now() - this.#lostSince }, 'positions store "redis": reconnected');
      this.#lostSince = undefined;
    });
  }

  /** Connects; throws UnavailableError when Redis cannot be reached within connectTimeoutMs. */
  static async connect(options: RedisPositionsStoreOptions): Promise<RedisPositionsStore> {
    const { connection } = options;
    const maxDelay = options.maxReconnectDelayMs ?? 1_000;
    const redisOptions: RedisOptions = {
      host: connection.host,
      port: connection.port,
      db: connection.db,
      ...(connection.username !== undefined ? { username: connection.username } : {}),
      ...(connection.password !== undefined ? { password: connection.password } : {}),
      ...(connection.tls ? { tls: {} } : {}),
      connectionName: 'sluice-positions',
      lazyConnect: true,
      // Fail fast instead of queueing: a command issued while disconnected
      // rejects at once, one in flight when the connection drops rejects then,
      // and nothing is replayed later behind a newer write.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      // Reconnect forever in the background.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay),
    };
    const redis = new Redis(redisOptions);
    const store = new RedisPositionsStore(options, redis);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new UnavailableError(`positions store "redis": cannot connect to ${connection.display}: ${(err as Error).message}`, err);
    }
    return store;
  }

  async update(topic: string, group: GroupId, partition: number, offset: bigint): Promise<void> {
    checkPositionUpdate(group, partition, offset);
    this.#assertUsable('update');
    return this.#batcher.submit(groupKey(this.#prefix, topic, group.name), positionField(group.version, partition), offset.toString());
  }

  async fetch(topic: string, group: GroupId): Promise<PartitionPositions> {
    return (await this.#readGroup(topic, group.name)).get(group.version) ?? new Map();
  }

  async fetchAllVersions(topic: string, groupName: string): Promise<ReadonlyMap<number, PartitionPositions>> {
    return this.#readGroup(topic, groupName);
  }

  async *findAll(): AsyncIterable<StoredPositions> {
    this.#assertUsable('findAll');
    const pattern = scanPattern(this.#prefix);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      let keys: string[];
      let hashes: Array<Record<string, string>>;
      try {
        [cursor, keys] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys = keys.filter((key) => !seen.has(key) && seen.add(key));
        hashes = await this.#hgetallMany(keys);
      } catch (err) {
        throw this.#storeError(err, 'findAll');
      }
      for (const [i, key] of keys.entries()) {
        const names = parseGroupKey(this.#prefix, key);
        if (!names) continue;
        for (const [version, positions] of this.#parseHash(key, hashes[i]!)) {
          yield { topic: names.topic, group: { name: names.groupName, version }, positions };
        }
      }
    } while (cursor !== '0');
  }

  /** One string key per gateway, `<prefix>gateway:<id>`, expiring after ttlMs (outside the positions' SCAN pattern). */
  async publishGatewayReport(gatewayId: string, report: string, ttlMs: number): Promise<void> {
    this.#assertUsable('publishGatewayReport');
    try {
      await this.#redis.set(this.#gatewayKey(gatewayId), report, 'PX', ttlMs);
    } catch (err) {
      throw this.#storeError(err, 'publishGatewayReport');
    }
  }

  async fetchGatewayReports(): Promise<ReadonlyMap<string, string>> {
    this.#assertUsable('fetchGatewayReports');
    const pattern = `${this.#gatewayKey('').replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    const result = new Map<string, string>();
    try {
      let cursor = '0';
      do {
        let keys: string[];
        [cursor, keys] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length === 0) continue;
        const values = await this.#redis.mget(keys);
        for (const [i, key] of keys.entries()) {
          const value = values[i];
          if (value !== null && value !== undefined) result.set(key.slice(this.#gatewayKey('').length), value);
        }
      } while (cursor !== '0');
    } catch (err) {
      throw this.#storeError(err, 'fetchGatewayReports');
    }
    return result;
  }

  #gatewayKey(gatewayId: string): string {
    return `${this.#prefix}gateway:${gatewayId}`;
  }

  /** PING: fails at once while disconnected (no offline queue), after commandTimeoutMs when Redis stopped answering. */
  async ping(): Promise<void> {
    this.#assertUsable('ping');
    try {
      await this.#redis.ping();
    } catch (err) {
      throw this.#storeError(err, 'ping');
    }
  }

  /** Idempotent: waits for acks already submitted, then disconnects. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      await this.#batcher.drain();
      if (this.#redis.status === 'ready') {
        try {
          await this.#redis.quit();
        } catch {
          // Disconnected anyway below.
        }
      }
      this.#redis.disconnect();
    })();
    return this.#closing;
  }

  /** Whether the connection is up (for health reporting). */
  get connected(): boolean {
    return this.#redis.status === 'ready';
  }

  /** Resolves when the connection is (back) up; rejects after `timeoutMs`. */
  async whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#redis.off('ready', onReady);
        reject(new UnavailableError(`positions store "redis": ${this.#connection.display} not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  /** Coalescing figures: submitted updates vs flushes and keys written. */
  get stats(): Readonly<AckBatcherStats> {
    return this.#batcher.stats;
  }

  async #readGroup(topic: string, groupName: string): Promise<Map<number, Map<number, bigint>>> {
    this.#assertUsable('fetch');
    const key = groupKey(this.#prefix, topic, groupName);
    let hash: Record<string, string>;
    try {
      hash = await this.#redis.hgetall(key);
    } catch (err) {
      throw this.#storeError(err, 'fetch');
    }
    return this.#parseHash(key, hash);
  }

  #parseHash(key: string, hash: Record<string, string>): Map<number, Map<number, bigint>> {
    const versions = new Map<number, Map<number, bigint>>();
    for (const [field, value] of Object.entries(hash)) {
      const at = parseField(field);
      const offset = parseOffset(value);
      if (!at || offset === undefined) {
        this.#logger.warn({ key, field, value }, 'positions store "redis": ignoring a field that is not <version>:<partition> = <offset>');
        continue;
      }
      let partitions = versions.get(at.version);
      if (!partitions) versions.set(at.version, (partitions = new Map()));
      partitions.set(at.partition, offset);
    }
    return versions;
  }

  async #hgetallMany(keys: string[]): Promise<Array<Record<string, string>>> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    return keys.map((_, i) => {
      const [err, hash] = results[i] ?? [new Error('no reply'), undefined];
      if (err) throw err;
      return hash as Record<string, string>;
    });
  }

  /** One flush of the batcher: one HSET per key, pipelined; resolves when Redis replied to all. */
  async #write(batch: Batch<string>): Promise<ReadonlyMap<string, Error> | void> {
    if (this.#redis.status !== 'ready') throw this.#notConnected('update');
    const keys = [...batch.keys()];
    try {
      if (keys.length === 1) {
        await this.#redis.hset(keys[0]!, batch.get(keys[0]!)!);
        return;
      }
      const pipeline = this.#redis.pipeline();
      for (const key of keys) pipeline.hset(key, batch.get(key)!);
      const results = (await pipeline.exec()) ?? [];
      const errors = new Map<string, Error>();
      for (const [i, key] of keys.entries()) {
        const err = results[i]?.[0] ?? (results[i] ? null : new Error('no reply'));
        if (err) errors.set(key, this.#storeError(err, 'update'));
      }
      return errors;
    } catch (err) {
      throw this.#storeError(err, 'update');
    }
  }

  #assertUsable(operation: string): void {
    if (this.#closed) throw new UnavailableError(`positions store "redis" is closed (${operation})`);
    if (this.#redis.status !== 'ready') throw this.#notConnected(operation);
  }

  #notConnected(operation: string): UnavailableError {
    return new UnavailableError(`positions store "redis": not connected to ${this.#connection.display} (${this.#redis.status}); ${operation} not done`);
  }

  #storeError(err: unknown, operation: string): SluiceError {
    if (err instanceof SluiceError) return err;
    const error = err instanceof Error ? err : new Error(String(err));
    if (error.name === 'ReplyError') {
      const code = error.message.split(' ', 1)[0] ?? '';
      if (!TRANSIENT_REPLIES.has(code)) {
        return new SluiceError('INTERNAL', `positions store "redis": ${operation} failed: ${error.message}`, { cause: error, retryable: false });
      }
    }
    let reason = error.message;
    if (error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError') {
      reason = 'connection lost before the reply (the command may or may not have been applied)';
    } else if (/timed out/i.test(error.message)) {
      reason = `no reply within ${this.#commandTimeoutMs} ms (the command may or may not have been applied)`;
    }
    return new UnavailableError(`positions store "redis": ${operation} failed on ${this.#connection.display}: ${reason}`, error);
  }

  #connectionLost(err?: Error): void {
    if (this.#closed || !this.#wasReady || this.#lostSince !== undefined) return;
    if (this.#redis.status === 'ready' && err === undefined) return;
    this.#lostSince = Date.now();
    this.#logger.warn(
      { redis: this.#connection.display, err: err?.message },
      'positions store "redis": connection lost; acks and position reads fail with UNAVAILABLE until it is back (reconnecting)',
    );
  }
}

