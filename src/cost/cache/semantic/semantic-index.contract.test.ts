import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { connectedStore, redisForTests, storeOptions, type RedisForTests } from '../../../../test/support/redis.ts';
import { MemorySemanticIndex } from './memory-semantic-index.ts';
import { RedisSemanticIndex } from './redis-semantic-index.ts';
import { semanticIndexContract } from './semantic-index.contract.ts';
import { unitVector } from './semantic-index.ts';

describe('the in-memory semantic index', () => {
  semanticIndexContract('memory', { make: async (now) => new MemorySemanticIndex(now) });
});

describe('the Redis semantic index', () => {
  let redis: RedisForTests;
  before(async () => {
    redis = await redisForTests();
  });
  after(() => redis.stop());
  const connect = (prefix: string, now?: () => number) => {
    const options = { ...storeOptions(redis), prefix };
    return connectedStore(redis, new RedisSemanticIndex(now === undefined ? options : { ...options, now }));
  };
  semanticIndexContract('redis', { make: (now) => connect(redis.prefix(), now) });

  test('redis: an entry dropped for the bound takes its answer with it, and both keys expire with the TTL', async () => {
    const prefix = redis.prefix();
    const index = await connect(prefix);
    const client = new Redis(redis.url);
    try {
      const bounds = { maxEntries: 2, ttlMs: 30_000 };
      for (const value of ['a', 'b', 'c', 'd'])
        await index.add('t', { paramsKey: 'p', vector: unitVector([1, 0]), value }, bounds);
      assert.equal(await client.llen(`${prefix}semantic:t:entries`), 2);
      assert.deepEqual((await client.hvals(`${prefix}semantic:t:values`)).sort(), ['c', 'd']);
      assert.ok((await client.pttl(`${prefix}semantic:t:values`)) > 29_000);
    } finally {
      client.disconnect();
      await index.close();
    }
  });
});
