import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can hold what clients send (while held, bytes
 * from clients are kept back; the server's replies still pass) or cut every
 * connection. Lets a test
 * know that a request is in flight (`nextHeld` resolves when one arrives)
 * and decide when it reaches the server.
 */
export class HoldingProxy {
  private held = false;
  private refusing = false;
  private readonly queued: Array<{ upstream: Socket; data: Buffer }> = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<HoldingProxy> {
    const sockets = new Set<Socket>();
    const relay: { proxy?: HoldingProxy } = {};
    const server = createServer((client) => {
      if (relay.proxy?.refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, targetHost);
      sockets.add(client).add(upstream);
      client.on('data', (data: Buffer) => relay.proxy!.fromClient(upstream, data));
      upstream.on('data', (data: Buffer) => client.write(data));
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    relay.proxy = new HoldingProxy(server, address.port, sockets);
    return relay.proxy;
  }

  /** From now on, keep back what clients send. */
  hold(): void {
    this.held = true;
  }

  /** Resolves once something sent by a client is being held. */
  nextHeld(): Promise<void> {
    if (this.queued.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends what was held, in order, and stops holding. */
  release(): void {
    this.held = false;
    for (const { upstream, data } of this.queued.splice(0)) upstream.write(data);
  }

  /** Cuts every connection and refuses new ones, until restore(). */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private fromClient(upstream: Socket, data: Buffer): void {
    if (!this.held) {
      upstream.write(data);
      return;
    }
    this.queued.push({ upstream, data });
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((resolve) => resolve());
  }
}
