import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:unit`: pure logic only, so no Kafka broker or redis-server is
// provisioned: the base config without its global setup.
const { globalSetup: _provisionsKafkaAndRedis, ...shared } = base.test ?? {};

export default defineConfig({ test: { ...shared, include: ['test/unit/**/*.test.ts'] } });
