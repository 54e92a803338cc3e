import { after, before, describe } from 'node:test';
import { redisForTests, type RedisForTests } from '../../../test/support/redis.ts';
import { cacheStoreContract } from './cache-store.contract.ts';
import { MemoryCacheStore } from './memory-cache-store.ts';
import { RedisCacheStore } from './redis-cache-store.ts';

describe('the in-memory cache store', () => {
  cacheStoreContract('memory', { make: async () => new MemoryCacheStore({ maxBytes: 1 << 20 }) });
});

describe('the Redis cache store', () => {
  let redis: RedisForTests;
  before(async () => {
    redis = await redisForTests();
  });
  after(() => redis.stop());
  cacheStoreContract('redis', {
    make: async () => {
      const store = new RedisCacheStore({
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
