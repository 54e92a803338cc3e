import { after, before, describe } from 'node:test';
import { connectedStore, redisForTests, storeOptions, type RedisForTests } from '../../../test/support/redis.ts';
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
    make: () => connectedStore(redis, new RedisCacheStore(storeOptions(redis))),
  });
});
