import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'sluice';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey };
}

/** A JWT signed by `key`: valid for an hour, for AUDIENCE from ISSUER, unless `claims` / `options` say otherwise. */
export async function token(key: SigningKey, claims: JWTPayload & { sub?: string } = {}, options: { expiresAt?: number; notBefore?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { sub = 'alice', ...rest } = claims;
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, ...rest })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(options.expiresAt ?? now + 3600)
    .setNotBefore(options.notBefore ?? now - 5)
    .sign(key.privateKey);
}

export async function jwks(keys: readonly SigningKey[]): Promise<object> {
  return { keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' }))) };
}

export async function spki(key: SigningKey): Promise<string> {
  return exportSPKI(key.publicKey);
}

/** A temporary folder for a security file and its key files. */
export class SecurityDir {
  readonly path = mkdtempSync(join(tmpdir(), 'sluice-security-'));

  write(name: string, content: string | object): string {
    const file = join(this.path, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
