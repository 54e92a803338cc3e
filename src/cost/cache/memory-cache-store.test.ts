import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCacheStore } from './memory-cache-store.ts';

function store(maxBytes: number) {
  let now = 1_000;
  const evicted: string[] = [];
  const cache = new MemoryCacheStore({ maxBytes, now: () => now, onEvict: (model) => evicted.push(model) });
  return { cache, evicted, advance: (ms: number) => (now += ms) };
}

const entry = (key: string, value: string, model = 'm') => ({ key, value, model });

test('the least recently used entry is evicted first when the bytes bound is passed, and counted per model', async () => {
  const { cache, evicted } = store(30); // each entry: 1-byte key + 9-byte value = 10 bytes
  await cache.set(
    [entry('a', 'aaaaaaaaa', 'ma'), entry('b', 'bbbbbbbbb', 'mb'), entry('c', 'ccccccccc', 'mc')],
    60_000,
  );
  await cache.get(['a']); // a is now more recent than b
  await cache.set([entry('d', 'ddddddddd', 'md')], 60_000);
  assert.deepEqual(await cache.get(['a', 'b', 'c', 'd']), ['aaaaaaaaa', undefined, 'ccccccccc', 'ddddddddd']);
  assert.deepEqual(evicted, ['mb']);
  assert.deepEqual(cache.size, { entries: 3, bytes: 30 });
});

test('the bytes held never pass the bound, however many entries are written', async () => {
  const { cache } = store(1_000);
  for (let i = 0; i < 500; i++) await cache.set([entry(`key-${i}`, 'x'.repeat(i % 50))], 60_000);
  assert.ok(cache.size.bytes <= 1_000, `${cache.size.bytes} bytes held`);
  assert.ok(cache.size.entries > 10);
});

test('an entry larger than the whole bound is not stored and evicts nothing', async () => {
  const { cache, evicted } = store(20);
  await cache.set([entry('a', 'small')], 60_000);
  await cache.set([entry('b', 'x'.repeat(50))], 60_000);
  assert.deepEqual(await cache.get(['a', 'b']), ['small', undefined]);
  assert.deepEqual(evicted, []);
});

test('an entry expires at its TTL, frees its bytes, and is not counted as an eviction', async () => {
  const { cache, evicted, advance } = store(1_000);
  await cache.set([entry('a', 'v')], 500);
  advance(499);
  assert.deepEqual(await cache.get(['a']), ['v']);
  advance(1);
  assert.deepEqual(await cache.get(['a']), [undefined]);
  assert.deepEqual(cache.size, { entries: 0, bytes: 0 });
  assert.deepEqual(evicted, []);
});

test('writing a key again replaces its value and its bytes', async () => {
  const { cache } = store(1_000);
  await cache.set([entry('a', 'first')], 60_000);
  await cache.set([entry('a', 'second!')], 60_000);
  assert.deepEqual(await cache.get(['a']), ['second!']);
  assert.deepEqual(cache.size, { entries: 1, bytes: 8 });
});

test('entries read lately outlive those not read, across many entries, expiries and replacements', async () => {
  const { cache, advance } = store(1_000 * 10); // 1,000 entries of 10 bytes
  const key = (i: number) => `k${String(i).padStart(4, '0')}`;
  await cache.set(
    Array.from({ length: 1_000 }, (_, i) => entry(key(i), 'v'.repeat(5))),
    60_000,
  );
  await cache.set([entry(key(500), 'short', 'm')], 1); // replaced: now the newest, expiring first
  advance(2);
  assert.deepEqual(await cache.get([key(500)]), [undefined], 'expired and removed from the middle of the order');
  await cache.get([key(0), key(1), key(2)]); // the three oldest become the newest
  await cache.set(
    Array.from({ length: 600 }, (_, i) => entry(`n${String(i).padStart(4, '0')}`, 'v'.repeat(5))),
    60_000,
  );
  // 599 evicted, oldest first: k0003–k0499, then k0501–k0602.
  const kept = await cache.get([key(0), key(1), key(2), key(3), key(602), key(603)]);
  assert.deepEqual(kept, ['vvvvv', 'vvvvv', 'vvvvv', undefined, undefined, 'vvvvv']);
  assert.equal(cache.size.bytes, 10_000);
});
