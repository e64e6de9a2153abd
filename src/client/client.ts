import { credentials as grpcCredentials, status } from '@grpc/grpc-js';
import { tlsCredentials, tokenInterceptor } from './auth.ts';
import { SluiceClientError } from './errors.ts';
import { toBuffer } from './records.ts';
import { toOffsetMap, unary } from './rpc.ts';
import { Subscription, type SubscriptionTransport } from './subscription.ts';
import type {
  BytesLike,
  ConnectOptions,
  ConsumedRecord,
  EventInput,
  NackOptions,
  NackResult,
  PublishOptions,
  PublishRecord,
  PublishResult,
  SubscribeOptions,
} from './types.ts';
import { createStub, type EventMessage, type LiiklusStub, type NackRequestMessage, type PublishReplyMessage, type PublishRequestMessage } from './wire.ts';

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** A connection to a Sluice (or Liiklus) gateway. */
/**
 * HTTP/2 receive window of the client's connection and of each stream.
 * grpc-js keeps HTTP/2's 64 KiB unless told otherwise (grpc-go and grpc-java
 * size theirs to the bandwidth-delay product or to 1 MiB), and the window,
 * shared by every partition's stream on the connection, bounded how fast the
 * gateway could send: reading 4 partitions with subscribe().each(), same
 * run, 3 rounds each, 1,000,000 records of 100 B went from 251,000 to 413,000
 * records/s and 500,000 of 1 KiB from 90,000 to 170,000 with 4 MiB. The
 * local buffers (bufferSize, bufferBytes) still bound what waits for the
 * application; the window bounds what is in flight on the connection.
 */
export const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

export class SluiceClient {
  private readonly stub: LiiklusStub;
  private readonly callTimeoutMs: number;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;
  /** The batched RPCs are used until the gateway answers UNIMPLEMENTED (Liiklus, or GRPC_BATCHED_RPCS=false). */
  private readonly batched = { receive: true, publish: true };

  constructor(
    readonly address: string,
    options: ConnectOptions = {},
  ) {
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const channel = options.credentials ?? (options.tls === undefined ? grpcCredentials.createInsecure() : tlsCredentials(options.tls));
    this.stub = createStub(address, channel, {
      ...(options.token === undefined ? {} : { interceptors: [tokenInterceptor(options.token)] }),
      // grpc-js's own reconnect backoff starts at 1 s and grows to 120 s; keep
      // it short so a restarted gateway is found again quickly.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 5_000,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
      ...options.channelOptions,
    });
  }

  /** Resolves once the channel is connected; rejects with UNAVAILABLE after `timeoutMs`. */
  waitForReady(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stub.waitForReady(Date.now() + timeoutMs, (err) => {
        if (err === undefined) return resolve();
        reject(new SluiceClientError(status.UNAVAILABLE, `cannot reach the gateway at ${this.address} (${err.message})`, 'Connect', { cause: err }));
      });
    });
  }

  /** Stores one record; resolves with where it landed. */
  async publish(topic: string, value: BytesLike, options: PublishOptions = {}): Promise<PublishResult> {
    const reply = await unary(this.stub.Publish, this.stub, 'Publish', toPublishRequest({ topic, value, ...options }), this.callTimeoutMs);
    return toPublishResult(reply);
  }

  /**
   * Stores many records in one call (PublishBatch): all or none are accepted
   * (a bad one fails the call, naming `records[i]`); results in the same
   * order. Against a gateway without PublishBatch (Liiklus) the records go
   * as concurrent Publish calls instead (then a failure may leave some stored).
   */
  async publishBatch(records: readonly PublishRecord[]): Promise<PublishResult[]> {
    const requests = records.map(toPublishRequest);
    if (this.batched.publish) {
      try {
        const reply = await unary(this.stub.PublishBatch, this.stub, 'PublishBatch', { records: requests }, this.callTimeoutMs);
        return reply.results.map(toPublishResult);
      } catch (err) {
        if (!(err instanceof SluiceClientError) || err.code !== status.UNIMPLEMENTED) throw err;
        this.batched.publish = false;
      }
    }
    return Promise.all(
      requests.map(async (request) => toPublishResult(await unary(this.stub.Publish, this.stub, 'Publish', request, this.callTimeoutMs))),
    );
  }

  /** Stores a group's position in a partition (the stateless Ack form). */
  async ack(topic: string, group: string, partition: number, offset: bigint, groupVersion = 0): Promise<void> {
    await unary(this.stub.Ack, this.stub, 'Ack', { topic, group, groupVersion, partition, offset: offset.toString() }, this.callTimeoutMs);
  }

  /**
   * Hands a received record back instead of acking it (Sluice extension,
   * docs/retry.md): the gateway copies it to the group's retry topic (or its
   * dead-letter topic once the attempts are used up, or with `deadLetter`)
   * and resolves once the copy is stored. Ack the record afterwards as usual.
   */
  async nack(record: ConsumedRecord, options: NackOptions): Promise<NackResult> {
    const request: NackRequestMessage = {
      topic: record.topic,
      group: options.group,
      groupVersion: options.groupVersion ?? 0,
      partition: record.partition,
      offset: record.offset.toString(),
      key: record.key,
      headers: record.headers,
      reason: options.reason,
      deadLetter: options.deadLetter ?? false,
      delayMs: options.delayMs ?? 0,
      maxAttempts: options.maxAttempts ?? 0,
    };
    if (record.event !== null) request.liiklusEvent = record.event;
    else request.value = record.value;
    const reply = await unary(this.stub.Nack, this.stub, 'Nack', request, this.callTimeoutMs);
    const retryAt = reply.retryAt === null || reply.retryAt === undefined ? null : new Date(Number(reply.retryAt.seconds) * 1000 + Math.floor(reply.retryAt.nanos / 1e6));
    return { topic: reply.topic, partition: reply.partition, offset: BigInt(reply.offset), attempt: reply.attempt, deadLettered: reply.deadLettered, retryAt };
  }

  /** Partition -> acked offset for (topic, group, groupVersion). */
  async getOffsets(topic: string, group: string, groupVersion = 0): Promise<Map<number, bigint>> {
    const reply = await unary(this.stub.GetOffsets, this.stub, 'GetOffsets', { topic, group, groupVersion }, this.callTimeoutMs);
    return toOffsetMap(reply.offsets);
  }

  /** Partition -> offset of the last record written (partitions never written may be absent). */
  async getEndOffsets(topic: string): Promise<Map<number, bigint>> {
    const reply = await unary(this.stub.GetEndOffsets, this.stub, 'GetEndOffsets', { topic }, this.callTimeoutMs);
    return toOffsetMap(reply.offsets);
  }

  /** Joins consumer group `group` on `topic`. */
  subscribe(options: SubscribeOptions): Subscription {
    if (this.closed) throw new SluiceClientError(status.CANCELLED, 'the client is closed', 'Subscribe');
    const { topic, group } = options;
    const groupVersion = options.groupVersion ?? 0;
    const transport = (topicOf: string): SubscriptionTransport => ({
      stub: this.stub,
      batched: this.batched,
      ack: (partition, offset) => this.ack(topicOf, group, partition, offset, groupVersion),
      nack: (record, nackOptions) => this.nack(record, nackOptions),
      forTopic: transport,
    });
    const subscription = new Subscription(transport(topic), options);
    this.subscriptions.add(subscription);
    subscription.events$.subscribe({ complete: () => this.subscriptions.delete(subscription) });
    return subscription;
  }

  /** Closes every subscription (storing their last acks), then the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    this.stub.close();
  }
}

function toPublishRequest(record: PublishRecord): PublishRequestMessage {
  const request: PublishRequestMessage = { topic: record.topic };
  if (record.key !== undefined) request.key = toBuffer(record.key);
  if (record.headers !== undefined) request.headers = Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, toBuffer(v)]));
  if (record.event !== undefined) request.liiklusEvent = toEventMessage(record.event, record.value);
  else request.value = toBuffer(record.value);
  return request;
}

function toPublishResult(reply: PublishReplyMessage): PublishResult {
  return { topic: reply.topic, partition: reply.partition, offset: BigInt(reply.offset) };
}

function toEventMessage(event: EventInput, value: BytesLike): Partial<EventMessage> {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time instanceof Date ? event.time.toISOString() : (event.time ?? ''),
    dataContentType: event.dataContentType ?? '',
    data: toBuffer(event.data ?? value),
    extensions: event.extensions ?? {},
  };
}

/** Opens a client to the gateway at `address` ("host:port"). Connecting is lazy: the first call connects. */
export function connect(address: string, options?: ConnectOptions): SluiceClient {
  return new SluiceClient(address, options);
}

