import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisForTests, type RedisForTests } from '../../../../test/support/redis.ts';
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
  const connect = async (prefix: string, now?: () => number) => {
    const options = { url: redis.url, prefix, commandTimeoutMs: 1_000, onError: () => {} };
    const index = new RedisSemanticIndex(now === undefined ? options : { ...options, now });
    if (!(await index.connected(5_000))) throw new Error(`Redis at ${redis.url} did not connect in 5 s`);
    return index;
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
