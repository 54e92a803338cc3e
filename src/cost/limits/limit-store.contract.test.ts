import { after, before, describe } from 'node:test';
import { connectedStore, redisForTests, storeOptions, type RedisForTests } from '../../../test/support/redis.ts';
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
    make: () => connectedStore(redis, new RedisLimitStore(storeOptions(redis))),
  });
});
