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

const BAD: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  ['a TTL of zero', { cache: { models: { embed: { ttl_s: 0 } } } }, /cache\.models\.embed\.ttl_s/],
  ['an unknown setting of a model', { cache: { models: { embed: { ttl: 5 } } } }, /ttl/],
  ['a memory bound under 1 KiB', { cache: { max_bytes: 10 } }, /cache\.max_bytes/],
  ['a Redis URL that is not redis://', { state: { redis_url: 'http://127.0.0.1:6379' } }, /state\.redis_url/],
];

for (const [what, overrides, message] of BAD) {
  test(`a configuration with ${what} is refused, naming the key`, () => {
    assert.throws(() => loadConfig({ env: {}, overrides }), message);
  });
}
