import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_PATH } from '../../src/grpc/proto.ts';

// The client is built from proto/ alone, as any user's would be.
const definition = protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
const ServiceClient = grpc.loadPackageDefinition(definition).com as unknown as {
  github: { bsideup: { liiklus: { LiiklusService: grpc.ServiceClientConstructor } } };
};

export interface Assignment {
  sessionId: string;
  partition: number;
}

export interface WireRecord {
  offset: string;
  key: Buffer;
  value: Buffer;
  timestamp: { seconds: string; nanos: number };
  replay: boolean;
  headers: Record<string, Buffer>;
}

export interface WireEventRecord {
  offset: string;
  key: Buffer;
  event: { id: string; type: string; source: string; time: string; dataContentType: string; data: Buffer; extensions: Record<string, string> };
  timestamp: { seconds: string; nanos: number };
  replay: boolean;
}

export interface ReceiveReplyMessage {
  reply: 'record' | 'liiklusEventRecord' | 'skipped';
  record?: WireRecord;
  liiklusEventRecord?: WireEventRecord;
  /** Filtered subscriptions only: records up to this offset were filtered out. */
  skipped?: { offset: string };
}

type Unary = (request: object, callback: (err: grpc.ServiceError | null, reply: unknown) => void) => void;

/** A thin promise/stream wrapper over the generated client, for tests. */
export class TestClient {
  readonly raw: grpc.Client & Record<string, (...args: never[]) => unknown>;

  constructor(
    readonly address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ClientOptions = {},
  ) {
    this.raw = new ServiceClient.github.bsideup.liiklus.LiiklusService(address, credentials, options) as never;
  }

  private unary<T>(method: string, request: object): Promise<T> {
    return new Promise((resolve, reject) => {
      (this.raw[method] as unknown as Unary).call(this.raw, request, (err, reply) => (err ? reject(err) : resolve(reply as T)));
    });
  }

  publish(request: object): Promise<{ topic: string; partition: number; offset: string }> {
    return this.unary('Publish', request);
  }

  publishBatch(request: object): Promise<{ results: Array<{ topic: string; partition: number; offset: string }> }> {
    return this.unary('PublishBatch', request);
  }

  ack(request: object): Promise<object> {
    return this.unary('Ack', request);
  }

  nack(request: object): Promise<{ topic: string; partition: number; offset: string; attempt: number; deadLettered: boolean }> {
    return this.unary('Nack', request);
  }

  getOffsets(request: object): Promise<{ offsets: Record<string, string> }> {
    return this.unary('GetOffsets', request);
  }

  getEndOffsets(request: object): Promise<{ offsets: Record<string, string> }> {
    return this.unary('GetEndOffsets', request);
  }

  subscribe(request: object): SubscribeStream {
    return new SubscribeStream((this.raw.Subscribe as unknown as (r: object) => grpc.ClientReadableStream<{ assignment: Assignment }>).call(this.raw, request));
  }

  receive(request: object): ReceiveStream {
    return new ReceiveStream((this.raw.Receive as unknown as (r: object) => grpc.ClientReadableStream<ReceiveReplyMessage>).call(this.raw, request));
  }

  /** ReceiveBatch, its replies flattened into one list (`batchSizes` keeps how they were grouped). */
  receiveBatch(request: object): ReceiveStream {
    return new ReceiveStream((this.raw.ReceiveBatch as unknown as (r: object) => grpc.ClientReadableStream<ReceiveReplyMessage>).call(this.raw, request), true);
  }

  close(): void {
    this.raw.close();
  }
}

/** Ends with the call's final status: OK, or the error's code and details. */
function statusOf(call: grpc.ClientReadableStream<unknown>): Promise<{ code: grpc.status; details: string }> {
  return new Promise((resolve) => {
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
  });
}

/** Wakes waiters whenever a stream receives a message or ends. */
class StreamWaiters {
  private waiters: Array<() => void> = [];
  private ended = false;

  constructor(call: grpc.ClientReadableStream<unknown>, status: Promise<unknown>) {
    call.on('data', () => this.notify());
    call.on('error', () => this.notify());
    void status.then(() => {
      this.ended = true;
      this.notify();
    });
  }

  private notify() {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((w) => w());
  }

  /** Resolves once `done()` holds; throws `describe()` if the stream ends or `timeoutMs` passes first. */
  async until(done: () => boolean, timeoutMs: number, describe: (why: 'ended' | 'timed out') => Promise<string> | string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.ended) throw new Error(await describe('ended'));
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(await describe('timed out'));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export class SubscribeStream {
  readonly assignments: Assignment[] = [];
  readonly status: Promise<{ code: grpc.status; details: string }>;
  private readonly waiters: StreamWaiters;

  constructor(readonly call: grpc.ClientReadableStream<{ assignment: Assignment }>) {
    call.on('data', (reply: { assignment: Assignment }) => this.assignments.push(reply.assignment));
    this.status = statusOf(call);
    this.waiters = new StreamWaiters(call, this.status);
  }

  /** Waits until `predicate` holds over the assignments received so far. */
  async until(predicate: (assignments: Assignment[]) => boolean, timeoutMs = 25_000): Promise<Assignment[]> {
    await this.waiters.until(
      () => predicate(this.assignments),
      timeoutMs,
      (why) => `subscription ${why}; assignments so far: ${JSON.stringify(this.assignments)}`,
    );
    return this.assignments;
  }

  cancel(): void {
    this.call.cancel();
  }
}

export class ReceiveStream {
  readonly replies: ReceiveReplyMessage[] = [];
  readonly status: Promise<{ code: grpc.status; details: string }>;
  private readonly waiters: StreamWaiters;

  /** Replies per message: all 1 for Receive. */
  readonly batchSizes: number[] = [];

  constructor(
    readonly call: grpc.ClientReadableStream<ReceiveReplyMessage>,
    batched = false,
  ) {
    call.on('data', (message: ReceiveReplyMessage | { replies: ReceiveReplyMessage[] }) => {
      const replies = batched ? (message as { replies: ReceiveReplyMessage[] }).replies : [message as ReceiveReplyMessage];
      this.batchSizes.push(replies.length);
      this.replies.push(...replies);
    });
    this.status = statusOf(call);
    this.waiters = new StreamWaiters(call, this.status);
  }

  get records(): WireRecord[] {
    return this.replies.flatMap((r) => (r.record ? [r.record] : []));
  }

  /** Waits for at least `count` replies in all. */
  async take(count: number, timeoutMs = 25_000): Promise<ReceiveReplyMessage[]> {
    await this.waiters.until(
      () => this.replies.length >= count,
      timeoutMs,
      async (why) => `stream ${why} after ${this.replies.length} of ${count} replies` + (why === 'ended' ? `: ${JSON.stringify(await this.status)}` : ''),
    );
    return this.replies.slice(0, count);
  }

  /** Waits until `done(replies)` holds. */
  async until(done: (replies: ReceiveReplyMessage[]) => boolean, timeoutMs = 25_000): Promise<ReceiveReplyMessage[]> {
    await this.waiters.until(
      () => done(this.replies),
      timeoutMs,
      async (why) => `stream ${why} after ${this.replies.length} replies` + (why === 'ended' ? `: ${JSON.stringify(await this.status)}` : ''),
    );
    return this.replies;
  }

  cancel(): void {
    this.call.cancel();
  }
}
