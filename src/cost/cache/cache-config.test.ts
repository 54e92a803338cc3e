import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../config/load.ts';
import { checkCacheModels } from './cache-config.ts';

test('a cached model nobody serves fails the start, naming its key and the models served', () => {
  assert.throws(
    () =>
      checkCacheModels(
        { models: { embed: {} as never, 'triage-smal': {} as never } },
        new Set(['embed', 'triage-small']),
      ),
    /cache\.models\.triage-smal: no model "triage-smal" is served \(served: embed, triage-small\)/,
  );
  assert.doesNotThrow(() => checkCacheModels({ models: {} }, new Set()));
});

test('a cached model takes its defaults: five minutes, its tenants apart, coalescing on', () => {
  const config = loadConfig({ env: {}, overrides: { cache: { models: { embed: {} } } } });
  assert.deepEqual(config.cache.models['embed'], { ttl_s: 300, shared: false, coalesce: true });
  assert.equal(config.cache.max_bytes, 64 * 1024 * 1024);
});

test("a semantic cache's embedding model nobody serves fails the start, naming its key; its defaults are the measured ones", () => {
  const config = loadConfig({ env: {}, overrides: { cache: { models: { chat: { semantic: {} } } } } });
  assert.deepEqual(config.cache.models['chat']?.semantic, {
    embedding_model: 'embed',
    min_similarity: 0.99,
    max_prompt_chars: 160,
    max_entries: 1000,
  });
  assert.throws(
    () => checkCacheModels(config.cache, new Set(['chat', 'triage-small'])),
    /cache\.models\.chat\.semantic\.embedding_model: no model "embed" is served/,
  );
  assert.doesNotThrow(() => checkCacheModels(config.cache, new Set(['chat', 'embed'])));
});

const BAD: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  ['a TTL of zero', { cache: { models: { embed: { ttl_s: 0 } } } }, /cache\.models\.embed\.ttl_s/],
  ['an unknown setting of a model', { cache: { models: { embed: { ttl: 5 } } } }, /ttl/],
  [
    'a similarity threshold above 1',
    { cache: { models: { chat: { semantic: { min_similarity: 1.5 } } } } },
    /cache\.models\.chat\.semantic\.min_similarity/,
  ],
  ['an unknown semantic setting', { cache: { models: { chat: { semantic: { threshold: 0.9 } } } } }, /threshold/],
  ['a memory bound under 1 KiB', { cache: { max_bytes: 10 } }, /cache\.max_bytes/],
  ['a Redis URL that is not redis://', { state: { redis_url: 'http://127.0.0.1:6379' } }, /state\.redis_url/],
];

for (const [what, overrides, message] of BAD) {
  test(`a configuration with ${what} is refused, naming the key`, () => {
    assert.throws(() => loadConfig({ env: {}, overrides }), message);
  });
}
