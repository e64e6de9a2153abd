/** Types of scripts/kafka-broker.mjs (plain ESM so that it runs without a TypeScript loader). */

export const ROOT: string;
export const CACHE_DIR: string;
export const DEFAULT_KAFKA_VERSION: string;
/** How to provide a broker, for error messages. */
export const HOW_TO: string;

/** KAFKA_VERSION, else DEFAULT_KAFKA_VERSION. */
export function kafkaVersion(env?: Readonly<Record<string, string | undefined>>): string;

/** Downloads the broker jars with Maven into .cache/kafka/<version>/lib, once. */
export function fetchKafka(options?: {
  version?: string;
  log?: (message: string) => void;
}): Promise<{ version: string; lib: string; fetched: boolean }>;

export function freePort(): Promise<number>;

export function serverProperties(options: {
  host: string;
  advertisedHost: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  properties?: Readonly<Record<string, string>>;
}): string;

export interface KafkaBrokerOptions {
  /** Default: kafkaVersion(). */
  version?: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Address given to clients. Default: host (127.0.0.1 for 0.0.0.0). */
  advertisedHost?: string;
  /** Client port. Default: a free one. */
  port?: number;
  /** Controller port. Default: a free one. */
  controllerPort?: number;
  /** Working directory (config, data, broker.log). Default: a new temp dir, deleted by destroy(). */
  dir?: string;
  /** JVM heap. Default 512. */
  heapMb?: number;
  /** Default 120 s. */
  startTimeoutMs?: number;
  /** Leave the broker running after this process exits (the CLI). Default false. */
  detached?: boolean;
  /** C1-only JIT: quicker start, lower peak throughput. Default: true unless detached. */
  fastStartup?: boolean;
  /** Extra or overriding server.properties entries. */
  properties?: Readonly<Record<string, string>>;
  /** Extra JVM options. */
  jvmOptions?: readonly string[];
  /**
   * Also a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with a
   * throwaway CA made by openssl; SCRAM users are stored at format time.
   * The PLAINTEXT listener stays (inter-broker traffic, readiness probe).
   */
  saslSsl?: { users: ReadonlyArray<{ username: string; password: string }>; port?: number };
  /** Default 'java'. */
  java?: string;
  log?: (message: string) => void;
}

export interface KafkaBrokerHandle {
  /** host:port for clients. */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly version: string;
  readonly logFile: string;
  /** With options.saslSsl: the SASL_SSL listener and the CA file that signed the broker's certificate. */
  readonly saslSsl: { bootstrap: string; port: number; caFile: string; users: Array<{ username: string; password: string }> } | undefined;
  /** The JVM's pid while running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** How long the last start took until the broker served clients and groups. */
  readonly startupMs: number;
  /** Starts it again on the same ports and data dir; resolves once it serves. No-op when running. */
  start(): Promise<void>;
  /** SIGTERM (controlled shutdown), SIGKILL after 30 s; resolves once it exited. No-op when stopped. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once it exited. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** stop() and delete the directory. */
  destroy(): Promise<void>;
}

export function startKafkaBroker(options?: KafkaBrokerOptions): Promise<KafkaBrokerHandle>;

/** Whether `pid` is a running Kafka broker JVM. */
export function isAlive(pid: number): boolean;
