/** Many concurrent Receive streams on one gateway (memory stores): RSS, CPU, and whether every stream was served. */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_PATH } from '../../src/grpc/proto.ts';
import { spawnGateway } from '../../test/support/process.ts';

const Service = (grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS)) as unknown as {
  com: { github: { bsideup: { liiklus: { LiiklusService: grpc.ServiceClientConstructor } } } };
}).com.github.bsideup.liiklus.LiiklusService;

/** Streams per channel: two per member (Subscribe + Receive), under the server's 1,000 per connection. */
const MEMBERS_PER_CHANNEL = 400;

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
}

export async function scaleRun(streams: number): Promise<{ streams: number; served: number; rssIdleMiB: number; rssAfterMiB: number; cpuSeconds: number; seconds: number }> {
  const gateway = await spawnGateway({ RECORDS_STORE: 'memory', POSITIONS_STORE: 'memory', MEMORY_PARTITIONS: '1', LOG_LEVEL: 'info' });
  const pid = gateway.child.pid!;
  const started = Date.now();
  const cpuBefore = cpuSeconds(pid);
  const channels = Array.from({ length: Math.ceil(streams / MEMBERS_PER_CHANNEL) }, () =>
    new Service(gateway.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as grpc.Client & Record<string, (r: object) => grpc.ClientReadableStream<unknown>>,
  );
  const topic = `bench-scale-${Date.now()}`;
  const calls: grpc.ClientReadableStream<unknown>[] = [];
  let open = 0;
  let served = 0;
  let wake: () => void = () => undefined;
  for (let i = 0; i < streams; i++) {
    const channel = channels[Math.floor(i / MEMBERS_PER_CHANNEL)]!;
    const subscribe = channel.Subscribe!.call(channel, { topic, group: `scale-${i}` });
    calls.push(subscribe);
    subscribe.on('error', () => undefined);
    subscribe.once('data', (reply: { assignment: { sessionId: string; partition: number } }) => {
      const receive = channel.Receive!.call(channel, { assignment: reply.assignment });
      calls.push(receive);
      receive.on('error', () => undefined);
      receive.on('data', () => {
        served++;
        wake();
      });
      receive.on('metadata', () => undefined);
      open++;
      wake();
    });
  }
  const until = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 200)));
  };
  await until(() => open === streams, 300_000);
  // Give the Receive calls time to reach the gateway, then measure idle memory.
  await new Promise((r) => setTimeout(r, 2_000));
  const rssIdleMiB = rssMiB(pid);
  const publisher = channels[0]!;
  await new Promise<void>((resolve, reject) =>
    (publisher.Publish as unknown as (r: object, cb: (err: Error | null) => void) => void).call(publisher, { topic, value: Buffer.from('hello') }, (err) => (err ? reject(err) : resolve())),
  );
  await until(() => served === streams, 120_000);
  const result = { streams, served, rssIdleMiB: Math.round(rssIdleMiB), rssAfterMiB: Math.round(rssMiB(pid)), cpuSeconds: Number((cpuSeconds(pid) - cpuBefore).toFixed(1)), seconds: Number(((Date.now() - started) / 1000).toFixed(1)) };
  for (const call of calls) call.cancel();
  for (const channel of channels) channel.close();
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  return result;
}
