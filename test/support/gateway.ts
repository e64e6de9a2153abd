import pino from 'pino';
import { startSluice, type RunningSluice } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { TestClient } from './client.ts';
import { kafkaDriverConfig } from './kafka-driver.ts';

export interface TestGateway {
  sluice: RunningSluice;
  address: string;
  client: TestClient;
  stop(): Promise<void>;
}

/** A gateway on an ephemeral loopback port with a client generated from proto/ (on the test run's KAFKA_DRIVER unless `env` names one). */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const config = loadConfig({ GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000', LOG_LEVEL: 'silent', ...kafkaDriverConfig(), ...env });
  const sluice = await startSluice(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const address = `127.0.0.1:${sluice.port}`;
  const client = new TestClient(address);
  return {
    sluice,
    address,
    client,
    async stop() {
      client.close();
      await sluice.stop();
    },
  };
}
