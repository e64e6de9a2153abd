import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, SluiceClientError } from '../../src/client/index.ts';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { SecurityDir } from '../support/security.ts';

/** A throwaway CA, a server certificate for 127.0.0.1, and client certificates (one with a DNS SAN), made by openssl. */
function makeCertificates(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=sluice-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'billing.ext'), 'subjectAltName=DNS:billing.clients.test\n');
  for (const [name, ext] of [['server', 'server.ext'], ['billing', 'billing.ext'], ['stranger', undefined]] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}-cn`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(ext ? ['-extfile', ext] : []));
  }
  return (name: string) => join(dir, name);
}

describe('mutual TLS identities', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let file: (name: string) => string;
  beforeAll(async () => {
    file = makeCertificates(dir.path);
    const security = dir.write('security.json', {
      authentication: { mtls: true },
      rules: [{ principals: ['cert:billing.clients.test'], actions: ['publish'], topics: ['invoices'] }],
    });
    gateway = await startTestGateway({
      GRPC_TLS_CERT_FILE: file('server.crt'),
      GRPC_TLS_KEY_FILE: file('server.key'),
      GRPC_TLS_CLIENT_CA_FILE: file('ca.crt'),
      SECURITY_FILE: security,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  const clientWith = (name: string) =>
    new TestClient(gateway.address, grpc.credentials.createSsl(readFileSync(file('ca.crt')), readFileSync(file(`${name}.key`)), readFileSync(file(`${name}.crt`))));

  it("names the caller by its certificate's CN and SANs; rules grant by either", async () => {
    const billing = clientWith('billing');
    const stranger = clientWith('stranger');
    try {
      expect((await billing.publish({ topic: 'invoices', value: Buffer.from('x') })).topic).toBe('invoices');
      const denied = await failure(stranger.publish({ topic: 'invoices', value: Buffer.from('x') }));
      expect(denied?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(denied?.details).toBe('not allowed to publish topic "invoices"');
      const wrongTopic = await failure(billing.publish({ topic: 'payroll', value: Buffer.from('x') }));
      expect(wrongTopic?.code).toBe(grpc.status.PERMISSION_DENIED);
    } finally {
      billing.close();
      stranger.close();
    }
  });

  it('the TS client connects with its tls option (file paths), as the CLI does with --tls-ca/--tls-cert/--tls-key', async () => {
    const billing = connect(gateway.address, { tls: { ca: file('ca.crt'), cert: file('billing.crt'), key: file('billing.key') } });
    const stranger = connect(gateway.address, { tls: { ca: file('ca.crt'), cert: readFileSync(file('stranger.crt')), key: readFileSync(file('stranger.key')) } });
    try {
      expect((await billing.publish('invoices', 'x')).topic).toBe('invoices');
      const denied = await stranger.publish('invoices', 'x').catch((err: SluiceClientError) => err);
      expect(denied).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    } finally {
      await billing.close();
      await stranger.close();
    }
  });
});
