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
