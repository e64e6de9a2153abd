import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../scripts/kafka-broker.mjs';
import { ROOT } from '../../support/process.ts';

/**
 * Toxiproxy (a TCP fault proxy, built from the Go module proxy by
 * scripts/ensure-toxiproxy.sh), run on loopback and driven over its HTTP API.
 * A "cut" is a `timeout` toxic with timeout 0 in both directions: the proxy
 * keeps the connections open and passes nothing, as a network partition
 * does (no FIN, no RST), until the toxics are removed.
 */

const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** The binary's path; builds it (once, cached in .cache/) when missing. Throws, loudly, when it cannot. */
export function toxiproxyBinary(): string {
  const script = join(ROOT, 'scripts', 'ensure-toxiproxy.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`Toxiproxy is required by the fault suite and could not be built: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }
  const binary = out.trim().split('\n').pop()!;
  if (!existsSync(binary)) throw new Error(`scripts/ensure-toxiproxy.sh printed ${binary}, which does not exist`);
  return binary;
}

export interface Proxy {
  readonly name: string;
  /** host:port clients connect to. */
  readonly listen: string;
  readonly port: number;
  /** Passes nothing either way, keeping connections open (a partition). */
  cut(): Promise<void>;
  restore(): Promise<void>;
}

export class Toxiproxy {
  private constructor(
    private readonly child: ChildProcess,
    private readonly api: string,
    private readonly output: () => string,
  ) {}

  static async start(): Promise<Toxiproxy> {
    const binary = toxiproxyBinary();
    const port = await freePort();
    const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const proxy = new Toxiproxy(child, `http://127.0.0.1:${port}`, () => output);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await proxy.request('GET', '/version');
        return proxy;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`toxiproxy did not answer on ${proxy.api}: ${(err as Error).message}\n${output}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A proxy from a free loopback port (or `listenPort`) to `upstream`. */
  async proxy(name: string, upstream: string, listenPort?: number): Promise<Proxy> {
    const port = listenPort ?? (await freePort());
    const listen = `127.0.0.1:${port}`;
    await this.request('POST', '/proxies', { name, listen, upstream, enabled: true });
    const toxic = (stream: 'upstream' | 'downstream') => ({ name: `cut-${stream}`, type: 'timeout', stream, toxicity: 1, attributes: { timeout: 0 } });
    return {
      name,
      listen,
      port,
      cut: async () => {
        await this.request('POST', `/proxies/${name}/toxics`, toxic('upstream'));
        await this.request('POST', `/proxies/${name}/toxics`, toxic('downstream'));
      },
      restore: async () => {
        await this.request('DELETE', `/proxies/${name}/toxics/cut-upstream`);
        await this.request('DELETE', `/proxies/${name}/toxics/cut-downstream`);
      },
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async request(method: string, path: string, body?: object): Promise<unknown> {
    const response = await fetch(this.api + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text}\n${this.output().slice(-2000)}`);
    // /version answers plain text; the rest JSON.
    return response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
  }
}
