import { after, before, describe } from 'node:test';
import { redisForTests, type RedisForTests } from '../../../test/support/redis.ts';
import { limitStoreContract } from './limit-store.contract.ts';
import { MemoryLimitStore } from './memory-limit-store.ts';
import { RedisLimitStore } from './redis-limit-store.ts';

describe('the in-memory limit store', () => {
  limitStoreContract('memory', { make: async () => new MemoryLimitStore() });
});

describe('the Redis limit store', () => {
  let redis: RedisForTests;
  before(async () => {
    redis = await redisForTests();
  });
  after(() => redis.stop());
  limitStoreContract('redis', {
    make: async () => {
      const store = new RedisLimitStore({
        url: redis.url,
        prefix: redis.prefix(),
        commandTimeoutMs: 1_000,
        onError: () => {},
      });
      if (!(await store.connected(5_000))) throw new Error(`Redis at ${redis.url} did not connect in 5 s`);
      return store;
    },
  });
});
