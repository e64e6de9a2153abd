import { readFileSync } from 'node:fs';
import { z } from 'zod';

// A topic name with {topic} and {group} in it, the rest from Kafka's topic alphabet.
const topicTemplate = z
  .string()
  .regex(/^([a-zA-Z0-9._-]|\{topic\}|\{group\})+$/, 'must be [a-zA-Z0-9._-] with {topic} and {group}')
  .refine((value) => value.includes('{topic}') && value.includes('{group}'), 'must contain {topic} and {group}');

/**
 * The gateway's own settings. Store settings (MEMORY_PARTITIONS, KAFKA_*,
 * REDIS_URL) are validated by the store plugin that uses them, at start too.
 */
const Schema = z.object({
  GRPC_HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  GRPC_PORT: z.coerce.number().int('must be an integer').min(0).max(65535).default(6565),
  RECORDS_STORE: z.string().min(1, 'must not be empty').default('memory'),
  POSITIONS_STORE: z.string().min(1, 'must not be empty').default('memory'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int('must be an integer').min(0).max(600_000).default(10_000),
  GRPC_MAX_MESSAGE_BYTES: z.coerce.number().int('must be an integer').min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  GRPC_MAX_SESSION_MEMORY_MIB: z.coerce.number().int('must be an integer').min(1).max(65_536).default(32),
  GRPC_MAX_CONCURRENT_STREAMS: z.coerce.number().int('must be an integer').min(1).max(1_000_000).default(1000),
  /** Serve the batched RPCs (ReceiveBatch, PublishBatch); false makes them UNIMPLEMENTED, as on Liiklus. */
  GRPC_BATCHED_RPCS: z.enum(['true', 'false'], 'must be true or false').default('true').transform((value) => value === 'true'),
  /** HTTP/2 keepalive pings to each client: how a client whose network died without a FIN is noticed and its partitions released. */
  GRPC_KEEPALIVE_TIME_MS: z.coerce.number().int('must be an integer').min(1_000).max(3_600_000).default(30_000),
  GRPC_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int('must be an integer').min(500).max(600_000).default(10_000),
  /** TLS for the gRPC server: PEM files; both or neither. With a client CA, clients must present a certificate it signed. */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  GRPC_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  /** Prometheus metrics on http://METRICS_HOST:METRICS_PORT/metrics; off when unset. */
  METRICS_HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int('must be an integer').min(0).max(65535).optional(),
  /** Store reachability probes behind /readyz and the gRPC health service (docs/operations.md). */
  HEALTH_INTERVAL_MS: z.coerce.number().int('must be an integer').min(50).max(600_000).default(2_000),
  HEALTH_TIMEOUT_MS: z.coerce.number().int('must be an integer').min(10).max(600_000).default(2_000),
  /** Most (topic, group, version, partition) label sets the lag metrics export; the rest are counted as dropped. */
  METRICS_MAX_SERIES: z.coerce.number().int('must be an integer').min(1).max(1_000_000).default(2_000),
  /** Lag figures (positions and end offsets) are read from the stores at most once per this. */
  METRICS_CACHE_TTL_MS: z.coerce.number().int('must be an integer').min(0).max(600_000).default(5_000),
  /** The live dashboard at /dashboard on the admin port (METRICS_PORT); read-only. */
  DASHBOARD_ENABLED: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  /** How often open dashboard pages get a new state. */
  DASHBOARD_REFRESH_MS: z.coerce.number().int('must be an integer').min(100).max(60_000).default(1_000),
  /** Turns authentication and authorization on: a JSON file of keys, rules and limits (docs/security.md). Off when unset. */
  SECURITY_FILE: z.string().min(1).optional(),
  /** Comma-separated patterns of internal (`__`) topics clients may still use; none by default. */
  INTERNAL_TOPICS_ALLOWED: z.string().default(''),
  /** JSON Schemas checked on publish, per topic (docs/validation.md); reloaded on change and SIGHUP. Off when unset. */
  VALIDATION_SCHEMAS_FILE: z.string().min(1).optional(),
  /** Nack (docs/retry.md): the group's retry and dead-letter topics; `{topic}` and `{group}` are replaced. */
  RETRY_TOPIC: topicTemplate.default('{topic}.{group}.retry'),
  DEAD_LETTER_TOPIC: topicTemplate.default('{topic}.{group}.dlq'),
  /** Deliveries of a record before a Nack dead-letters it (a Nack may ask for fewer or more, up to 100). */
  RETRY_MAX_ATTEMPTS: z.coerce.number().int('must be an integer').min(1).max(100).default(5),
  /** Delay before attempt n+1: RETRY_BACKOFF_INITIAL_MS × RETRY_BACKOFF_FACTOR^(n-1), at most RETRY_BACKOFF_MAX_MS. */
  RETRY_BACKOFF_INITIAL_MS: z.coerce.number().int('must be an integer').min(0).max(604_800_000).default(1_000),
  RETRY_BACKOFF_MAX_MS: z.coerce.number().int('must be an integer').min(0).max(604_800_000).default(60_000),
  RETRY_BACKOFF_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /** V8's old-generation growth between full collections, in percent (src/heap-growth.ts); 0 leaves V8's own. */
  HEAP_GROWING_PERCENT: z.coerce.number().int('must be an integer').min(0).max(1_000).default(300),
});

export type GatewayConfig = z.infer<typeof Schema>;

export interface LoadedConfig {
  gateway: GatewayConfig;
  /** Every key, for store plugins to validate their own. */
  raw: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment, overlaid by the JSON file named by SLUICE_CONFIG
 * (its keys win), and validates it. Throws ConfigError naming the first bad key.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  const raw: Record<string, string | undefined> = { ...env, ...readConfigFile(env.SLUICE_CONFIG) };
  // An empty variable counts as unset, as shells make it easy to export one.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = Schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'config');
    throw new ConfigError(key, `${issue.message} (got ${JSON.stringify(present[key])})`);
  }
  const { GRPC_TLS_CERT_FILE: cert, GRPC_TLS_KEY_FILE: key, GRPC_TLS_CLIENT_CA_FILE: clientCa } = parsed.data;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(cert === undefined ? 'GRPC_TLS_CERT_FILE' : 'GRPC_TLS_KEY_FILE', 'TLS needs both GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE');
  }
  if (parsed.data.DASHBOARD_ENABLED && parsed.data.METRICS_PORT === undefined) {
    throw new ConfigError('DASHBOARD_ENABLED', 'the dashboard is served on the admin port: set METRICS_PORT too');
  }
  if (parsed.data.RETRY_TOPIC === parsed.data.DEAD_LETTER_TOPIC) throw new ConfigError('DEAD_LETTER_TOPIC', 'must differ from RETRY_TOPIC');
  if (parsed.data.RETRY_BACKOFF_MAX_MS < parsed.data.RETRY_BACKOFF_INITIAL_MS) {
    throw new ConfigError('RETRY_BACKOFF_MAX_MS', `must be at least RETRY_BACKOFF_INITIAL_MS (${parsed.data.RETRY_BACKOFF_INITIAL_MS})`);
  }
  if (clientCa !== undefined && cert === undefined) throw new ConfigError('GRPC_TLS_CLIENT_CA_FILE', 'needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE');
  return { gateway: parsed.data, raw: present };
}

function readConfigFile(path: string | undefined): Record<string, string> {
  if (path === undefined || path === '') return {};
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('SLUICE_CONFIG', `cannot read ${path} as JSON: ${(err as Error).message}`);
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new ConfigError('SLUICE_CONFIG', `${path} must hold a JSON object of KEY: value`);
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(content)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(key, `in ${path} must be a string, number or boolean`);
    }
    result[key] = String(value);
  }
  return result;
}
