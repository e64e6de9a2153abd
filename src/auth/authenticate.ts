import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { UnauthenticatedError } from '../contracts/index.ts';
import type { Principal } from './types.ts';

export interface JwtSettings {
  /** Verification keys: a JWKS (`{"keys": [...]}`) or one PEM public key, already read from their files. */
  jwks?: JSONWebKeySet | undefined;
  publicKeyPem?: string | undefined;
  algorithms: string[];
  issuer?: string | undefined;
  audience?: string | undefined;
  clockSkewSeconds: number;
  /** The claim that names the principal (`jwt:<value>`). */
  principalClaim: string;
}

export interface AuthenticationSettings {
  jwt?: JwtSettings | undefined;
  /** API key name -> SHA-256 (hex) of the key. */
  apiKeys: ReadonlyArray<{ name: string; sha256: string }>;
  /** Accept the verified client certificate as an identity (needs GRPC_TLS_CLIENT_CA_FILE). */
  mtls: boolean;
}

/** What a call brings: its `authorization` metadata values and its verified peer certificate, if any. */
export interface Credentials {
  authorization: ReadonlyArray<string | Buffer>;
  peerCertificate?: PeerCertificate | undefined;
}

const BEARER = /^Bearer +([^\s]+)$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Turns a call's credentials into a principal or an UnauthenticatedError whose
 * reason says what is wrong (expired, wrong audience, unknown key) and never
 * which keys or names exist. A bearer credential wins over the certificate.
 */
export class Authenticator {
  private readonly jwtKey: JWTVerifyGetKey | KeyObject | undefined;
  private readonly apiKeys: ReadonlyMap<string, string>;

  constructor(private readonly settings: AuthenticationSettings) {
    const jwt = settings.jwt;
    this.jwtKey = jwt?.jwks !== undefined ? createLocalJWKSet(jwt.jwks) : jwt?.publicKeyPem !== undefined ? createPublicKey(jwt.publicKeyPem) : undefined;
    this.apiKeys = new Map(settings.apiKeys.map((key) => [key.sha256.toLowerCase(), key.name]));
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    if (credentials.authorization.length > 1) throw new UnauthenticatedError('malformed', 'more than one authorization value');
    const header = credentials.authorization[0];
    if (header !== undefined) {
      if (typeof header !== 'string') throw new UnauthenticatedError('malformed', 'authorization must be text');
      const bearer = BEARER.exec(header.trim());
      if (bearer === null) throw new UnauthenticatedError('malformed', 'authorization must be "Bearer <token>"');
      const token = bearer[1]!;
      return JWT_SHAPE.test(token) ? this.verifyJwt(token) : this.verifyApiKey(token);
    }
    if (this.settings.mtls && credentials.peerCertificate !== undefined) {
      const principal = certificatePrincipal(credentials.peerCertificate);
      if (principal !== undefined) return principal;
    }
    throw new UnauthenticatedError('missing', 'no credential: send "authorization: Bearer <token>" metadata');
  }

  private async verifyJwt(token: string): Promise<Principal> {
    const jwt = this.settings.jwt;
    if (jwt === undefined || this.jwtKey === undefined) throw new UnauthenticatedError('unknown_key', 'JSON Web Tokens are not accepted here');
    let payload;
    try {
      const options = {
        algorithms: jwt.algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockSkewSeconds,
        requiredClaims: ['exp'],
      };
      payload = (
        this.jwtKey instanceof Function ? await jwtVerify(token, this.jwtKey, options) : await jwtVerify(token, this.jwtKey, options)
      ).payload;
    } catch (err) {
      throw jwtFailure(err);
    }
    const name = payload[jwt.principalClaim];
    if (typeof name !== 'string' || name === '') throw new UnauthenticatedError('malformed', `token has no "${jwt.principalClaim}" claim naming the caller`);
    const id = `jwt:${name}`;
    return { id, names: [id] };
  }

  private verifyApiKey(key: string): Principal {
    const name = this.apiKeys.get(createHash('sha256').update(key).digest('hex'));
    if (name === undefined) throw new UnauthenticatedError('unknown_key', 'unknown API key');
    const id = `key:${name}`;
    return { id, names: [id] };
  }
}

function jwtFailure(err: unknown): UnauthenticatedError {
  if (err instanceof errors.JWTExpired) return new UnauthenticatedError('expired', 'token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new UnauthenticatedError('wrong_audience', 'token is for another audience');
    if (err.claim === 'iss') return new UnauthenticatedError('wrong_issuer', 'token is from another issuer');
    if (err.claim === 'nbf') return new UnauthenticatedError('not_yet_valid', 'token is not valid yet');
    return new UnauthenticatedError('bad_claims', `token claim "${err.claim}" is invalid or missing`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return new UnauthenticatedError('unknown_key', 'token is signed with an unknown key');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new UnauthenticatedError('bad_signature', 'token signature does not verify (unknown key)');
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new UnauthenticatedError('bad_algorithm', 'token algorithm is not accepted');
  }
  return new UnauthenticatedError('malformed', 'token is malformed');
}

/** `cert:<CN>`, also known by each subjectAltName value (`cert:<dns name>`, `cert:<uri>` ...). */
function certificatePrincipal(certificate: PeerCertificate): Principal | undefined {
  const cn = certificate.subject?.CN;
  const commonNames = Array.isArray(cn) ? cn : cn === undefined ? [] : [cn];
  const altNames = (certificate.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/^[A-Za-z ]+:/, ''))
    .filter((value) => value !== '');
  const names = [...commonNames, ...altNames].map((name) => `cert:${name}`);
  if (names.length === 0) return undefined;
  return { id: names[0]!, names };
}

/** The hash to put in the security file for an API key. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
