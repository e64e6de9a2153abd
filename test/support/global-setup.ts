import type { TestProject } from 'vitest/node';
import { ensureKafka } from './kafka.ts';
import { ensureRedis } from './redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    redisUrl: string;
  }
}

/**
 * Provisions the real services every suite shares: a Kafka broker and a
 * redis-server, or the ones named by KAFKA_BOOTSTRAP_SERVERS / REDIS_URL.
 * Fails the run loudly when either cannot be had: no suite is ever skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [kafka, redis] = await Promise.all([ensureKafka(), ensureRedis()]);
  project.provide('kafkaBootstrap', kafka.bootstrap);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.allSettled([kafka.stop(), redis.stop()]);
  };
}
