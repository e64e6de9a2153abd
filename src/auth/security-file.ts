import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { fileReloads } from '../file-reloads.ts';
import { z } from 'zod';
import { ConfigError } from '../config.ts';
import { Authenticator } from './authenticate.ts';
import type { LimitSpec } from './limits.ts';
import { Rules } from './rules.ts';
import { ACTIONS } from './types.ts';

const names = z.array(z.string().min(1)).min(1);
const limitSpec = z
  .object({
    publishPerSecond: z.number().positive().optional(),
    publishBurst: z.number().int().positive().optional(),
    subscribeStreams: z.number().int().min(0).optional(),
    receiveStreams: z.number().int().min(0).optional(),
  })
  .strict();

const Schema = z
  .object({
    authentication: z
      .object({
        jwt: z
          .object({
            jwksFile: z.string().min(1).optional(),
            publicKeyFile: z.string().min(1).optional(),
            algorithms: z.array(z.enum(['RS256', 'ES256', 'EdDSA'])).min(1).default(['RS256', 'ES256', 'EdDSA']),
            issuer: z.string().min(1).optional(),
            audience: z.string().min(1).optional(),
            clockSkewSeconds: z.number().int().min(0).max(3600).default(30),
            principalClaim: z.string().min(1).default('sub'),
          })
          .strict()
          .refine((jwt) => (jwt.jwksFile === undefined) !== (jwt.publicKeyFile === undefined), 'needs exactly one of jwksFile, publicKeyFile')
          .optional(),
        apiKeys: z
          .array(z.object({ name: z.string().min(1), sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 of the key, never the key') }).strict())
          .default([]),
        mtls: z.boolean().default(false),
      })
      .strict(),
    rules: z
      .array(z.object({ principals: names, actions: z.array(z.enum(ACTIONS)).min(1), topics: names, groups: names.optional() }).strict())
      .default([]),
    limits: z.object({ default: limitSpec.default({}), principals: z.record(z.string(), limitSpec).default({}) }).strict().default({ default: {}, principals: {} }),
    /** Services reachable without a credential. */
    public: z.object({ health: z.boolean().default(true), reflection: z.boolean().default(true) }).strict().default({ health: true, reflection: true }),
  })
  .strict();

export type SecurityFile = z.infer<typeof Schema>;

/** Everything the guard needs, built from one version of the security file. */
export interface SecurityPolicy {
  authenticator: Authenticator;
  rules: Rules;
  limitsFor(principalId: string): LimitSpec;
  public: { health: boolean; reflection: boolean };
}

/** Reads and validates the file named by SECURITY_FILE; throws ConfigError naming the bad entry. */
export function loadSecurityPolicy(path: string): SecurityPolicy {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('SECURITY_FILE', `cannot read ${path} as JSON: ${(err as Error).message}`);
  }
  const parsed = Schema.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError('SECURITY_FILE', `${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return buildPolicy(parsed.data, dirname(path));
}

function buildPolicy(file: SecurityFile, baseDir: string): SecurityPolicy {
  const jwt = file.authentication.jwt;
  const read = (name: string, what: string) => {
    try {
      return readFileSync(resolve(baseDir, name), 'utf8');
    } catch (err) {
      throw new ConfigError('SECURITY_FILE', `authentication.jwt.${what}: cannot read ${name}: ${(err as Error).message}`);
    }
  };
  let authenticator;
  try {
    authenticator = new Authenticator({
      jwt:
        jwt === undefined
          ? undefined
          : {
              ...jwt,
              jwks: jwt.jwksFile === undefined ? undefined : JSON.parse(read(jwt.jwksFile, 'jwksFile')),
              publicKeyPem: jwt.publicKeyFile === undefined ? undefined : read(jwt.publicKeyFile, 'publicKeyFile'),
            },
      apiKeys: file.authentication.apiKeys,
      mtls: file.authentication.mtls,
    });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('SECURITY_FILE', `authentication.jwt: unusable key: ${(err as Error).message}`);
  }
  const { default: defaults, principals } = file.limits;
  return {
    authenticator,
    rules: new Rules(file.rules),
    limitsFor: (principalId) => ({ ...defaults, ...principals[principalId] }),
    public: file.public,
  };
}

/**
 * A new policy each time the file changes or the process gets SIGHUP. The
 * directory is watched, not the file, so a file replaced by rename (editors,
 * Kubernetes ConfigMaps) is still seen. A file that fails to load is reported
 * through `onError` and the running policy stays.
 */
export function securityPolicyUpdates(path: string, onError: (err: unknown) => void): Observable<SecurityPolicy> {
  return fileReloads({
    directories: () => [dirname(path)],
    concerns: (name) => name === basename(path),
    load: () => loadSecurityPolicy(path),
    onError,
  });
}
