import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/kafka-broker.mjs';

export { freePort };

/**
 * Provisioning of a real redis-server for tests and benchmarks. Nothing here
 * ever stops a server it did not start.
 */

const HOW_TO = 'Install it (apt-get install -y redis-server, or scripts/ensure-redis-server.sh) or set REDIS_URL=redis://host:port to use a running server.';

export interface RedisServerOptions {
  /** Fixed port; default a free one. */
  port?: number;
  /** Append-only file with fsync on every write, so data survives stop()/start(). Default false (no persistence). */
  persistence?: boolean;
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']. */
  args?: string[];
  /** How long to wait for PING to answer. Default 15 s. */
  startTimeoutMs?: number;
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  /** The server's working directory (temp). */
  readonly dir: string;
  /** Whether this handle's process is running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); resolves once it exited. No-op when stopped. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL: no shutdown, connections reset); resolves once it exited. No-op when stopped. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once PING answers. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Undoes pause() (SIGCONT). */
  resume(): void;
  /** stop() and remove the directory. */
  destroy(): Promise<void>;
}

/** Sends PING over a raw socket; resolves when +PONG (or -NOAUTH, the server is up) comes back. */
export async function ping(port: number, host = '127.0.0.1', timeoutMs = 2_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ port, host });
    let reply = '';
    const timer = setTimeout(() => finish(new Error(`no PING reply from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    function finish(error?: Error) {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    }
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (!reply.includes('\r\n')) return;
      if (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH')) finish();
      else finish(new Error(`unexpected PING reply from ${host}:${port}: ${reply.trim()}`));
    });
    socket.on('error', (err) => finish(err));
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // Never leave a server behind when the process (vitest worker, benchmark) goes away.
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'sluice-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--loglevel', 'notice',
    ...(options.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(options.args ?? []),
  ];
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    if (child) return;
    let output = '';
    const proc = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise<void>((resolve) => {
      const gone = () => {
        running.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      };
      proc.once('exit', gone);
      // A process that could not be spawned (ENOENT) emits 'error' and never 'exit'.
      proc.once('error', () => {
        if (proc.pid === undefined) gone();
      });
    });
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ENOENT'
            ? new Error(`redis-server is not installed (not found on PATH). ${HOW_TO}`)
            : new Error(`cannot run redis-server: ${err.message}. ${HOW_TO}`),
        );
      });
      proc.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before answering PING:\n${output}`)));
    });
    failed.catch(() => undefined);
    const ready = new Promise<void>((resolve) => {
      const check = () => {
        if (!output.includes('Ready to accept connections')) return;
        proc.stdout!.off('data', check);
        resolve();
      };
      proc.stdout!.on('data', check);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis-server on port ${port} did not answer PING within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
    });
    try {
      await Promise.race([ready, failed, timeout]);
      await Promise.race([ping(port), failed, timeout]);
    } catch (err) {
      proc.kill('SIGKILL');
      await exited;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  try {
    await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== undefined;
    },
    stop,
    start,
    async kill() {
      const proc = child;
      if (!proc) return;
      proc.kill('SIGKILL');
      await exited;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The redis-server tests share: REDIS_URL when set (stop() then does nothing),
 * else one started here on a free port. Throws, loudly, when neither works:
 * tests are never skipped for want of Redis.
 */
export async function ensureRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.REDIS_URL;
  if (given) return { url: given, stop: async () => undefined };
  let server: RedisServerHandle;
  try {
    server = await startRedisServer();
  } catch (err) {
    throw new Error(`No Redis for the tests: ${(err as Error).message}${(err as Error).message.includes(HOW_TO) ? '' : `\n${HOW_TO}`}`, { cause: err });
  }
  return { url: server.url, stop: () => server.destroy() };
}
