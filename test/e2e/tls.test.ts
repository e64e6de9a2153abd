import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made by openssl. */
function makeCertificates(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=sluice-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=sluice-${name}`);
    const ext = name === 'server' ? ['-extfile', 'server.ext'] : [];
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext);
  }
  const file = (name: string) => join(dir, name);
  return { file, read: (name: string) => readFileSync(file(name)) };
}

describe('TLS on the gRPC server', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
    certs = makeCertificates(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('server certificate', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({ GRPC_TLS_CERT_FILE: certs.file('server.crt'), GRPC_TLS_KEY_FILE: certs.file('server.key') });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    it('serves clients that trust its CA and refuses plaintext ones', async () => {
      const tls = new TestClient(gateway.address, grpc.credentials.createSsl(certs.read('ca.crt')));
      const plain = new TestClient(gateway.address);
      try {
        expect((await tls.publish({ topic: 'tls', value: Buffer.from('x') })).topic).toBe('tls');
        expect((await failure(plain.publish({ topic: 'tls', value: Buffer.from('x') })))?.code).toBe(grpc.status.UNAVAILABLE);
      } finally {
        tls.close();
        plain.close();
      }
    });
  });

  describe('mutual TLS', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({
        GRPC_TLS_CERT_FILE: certs.file('server.crt'),
        GRPC_TLS_KEY_FILE: certs.file('server.key'),
        GRPC_TLS_CLIENT_CA_FILE: certs.file('ca.crt'),
      });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    it('serves clients with a certificate signed by the client CA and refuses those without', async () => {
      const withCert = new TestClient(gateway.address, grpc.credentials.createSsl(certs.read('ca.crt'), certs.read('client.key'), certs.read('client.crt')));
      const withoutCert = new TestClient(gateway.address, grpc.credentials.createSsl(certs.read('ca.crt')));
      try {
        expect((await withCert.publish({ topic: 'mtls', value: Buffer.from('x') })).topic).toBe('mtls');
        expect((await failure(withoutCert.publish({ topic: 'mtls', value: Buffer.from('x') })))?.code).toBe(grpc.status.UNAVAILABLE);
      } finally {
        withCert.close();
        withoutCert.close();
      }
    });
  });

  it('refuses to start with a certificate but no key, naming the key', async () => {
    await expect(startTestGateway({ GRPC_TLS_CERT_FILE: certs.file('server.crt') })).rejects.toThrow(/^GRPC_TLS_KEY_FILE: TLS needs both/);
  });
});
