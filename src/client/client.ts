import { credentials as grpcCredentials, status } from '@grpc/grpc-js';
import { tlsCredentials, tokenInterceptor } from './auth.ts';
import { SluiceClientError } from './errors.ts';
import { toBuffer } from './records.ts';
import { toOffsetMap, unary } from './rpc.ts';
import { Subscription } from './subscription.ts';
import type { BytesLike, ConnectOptions, EventInput, PublishOptions, PublishResult, SubscribeOptions } from './types.ts';
import { createStub, type EventMessage, type LiiklusStub, type PublishRequestMessage } from './wire.ts';

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** A connection to a Sluice (or Liiklus) gateway. */
export class SluiceClient {
  private readonly stub: LiiklusStub;
  private readonly callTimeoutMs: number;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

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
    const request: PublishRequestMessage = { topic };
    if (options.key !== undefined) request.key = toBuffer(options.key);
    if (options.headers !== undefined) request.headers = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k, toBuffer(v)]));
    if (options.event !== undefined) request.liiklusEvent = toEventMessage(options.event, value);
    else request.value = toBuffer(value);
    const reply = await unary(this.stub.Publish, this.stub, 'Publish', request, this.callTimeoutMs);
    return { topic: reply.topic, partition: reply.partition, offset: BigInt(reply.offset) };
  }

  /** Stores a group's position in a partition (the stateless Ack form). */
  async ack(topic: string, group: string, partition: number, offset: bigint, groupVersion = 0): Promise<void> {
    await unary(this.stub.Ack, this.stub, 'Ack', { topic, group, groupVersion, partition, offset: offset.toString() }, this.callTimeoutMs);
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
    const subscription = new Subscription({ stub: this.stub, ack: (partition, offset) => this.ack(topic, group, partition, offset, groupVersion) }, options);
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

