import { freePort } from '../../../scripts/kafka-broker.mjs';
import { spawnGateway, type GatewayProcess } from '../../support/process.ts';

/**
 * A gateway run as its own process (as `npm start` runs it) on a fixed port,
 * so that it can be killed and started again where clients expect it.
 */
export class GatewayNode {
  private process: GatewayProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string>): Promise<GatewayNode> {
    const node = new GatewayNode(await freePort(), env);
    await node.start();
    return node;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Everything the gateway processes on this port wrote, for failure messages. */
  output(): string {
    return this.log + (this.process?.output() ?? '');
  }

  async start(): Promise<void> {
    if (this.process) return;
    this.process = await spawnGateway({ ...this.env, GRPC_PORT: String(this.port) });
  }

  /** SIGKILL: no shutdown, no group leave; resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: the graceful shutdown; resolves with the exit code. */
  async terminate(): Promise<number | string> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<number | string> {
    const proc = this.process;
    if (!proc) return 'not running';
    proc.child.kill(signal);
    const code = await proc.exited;
    this.log += proc.output();
    this.process = undefined;
    return code;
  }

  async stop(): Promise<void> {
    const proc = this.process;
    if (!proc) return;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    await proc.exited;
    clearTimeout(timer);
    this.log += proc.output();
    this.process = undefined;
  }
}

/** Gateway settings for the fault suite: Kafka + Redis, a quick group session timeout so a killed member is noticed in seconds. */
export function gatewayEnv(bootstrap: string, redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RECORDS_STORE: 'kafka',
    POSITIONS_STORE: 'redis',
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    REDIS_URL: redisUrl,
    KAFKA_TOPIC_PARTITIONS: '4',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '5000',
    SHUTDOWN_GRACE_MS: '3000',
    // info at least: spawnGateway waits for the "sluice listening" line.
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
    ...extra,
  };
}

/**
 * The gateway processes of one test file: started with the file's stores,
 * stopped after each test (call stopAll from afterEach), their output joined
 * for failure messages.
 */
export class GatewayPool {
  private nodes: GatewayNode[] = [];

  constructor(private readonly env: () => Record<string, string>) {}

  async start(extra: Record<string, string> = {}): Promise<GatewayNode> {
    const node = await GatewayNode.start({ ...this.env(), ...extra });
    this.nodes.push(node);
    return node;
  }

  readonly logs = (): string => this.nodes.map((node) => node.output()).join('\n');

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    this.nodes = [];
  }
}
