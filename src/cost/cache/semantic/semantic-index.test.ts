import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySemanticIndex } from './memory-semantic-index.ts';
import { bestMatch, cosine, unitVector } from './semantic-index.ts';

test('vectors are scaled to unit length, so their dot product is their cosine; a zero vector stays zero', () => {
  const a = unitVector([3, 4]);
  assert.deepEqual(Array.from(a), [0.6000000238418579, 0.800000011920929]);
  assert.ok(Math.abs(cosine(a, unitVector([6, 8])) - 1) < 1e-6);
  assert.ok(Math.abs(cosine(a, unitVector([-4, 3]))) < 1e-6);
  assert.deepEqual(Array.from(unitVector([0, 0])), [0, 0]);
  assert.equal(cosine(a, unitVector([1, 0, 0])), Number.NEGATIVE_INFINITY);
});

const THRESHOLDS: ReadonlyArray<[number, string | undefined]> = [
  [0.5, 'close'],
  [0.95, 'close'],
  [0.99, undefined],
];

for (const [threshold, expected] of THRESHOLDS) {
  test(`at a threshold of ${threshold} the best candidate is ${expected ?? 'none'}`, () => {
    const candidates = [
      { name: 'far', vector: unitVector([0, 1]) },
      { name: 'close', vector: unitVector([1, 0.2]) }, // cosine 0.981
    ];
    assert.equal(bestMatch(candidates, unitVector([1, 0]), threshold)?.candidate.name, expected);
  });
}

test('the in-memory index forgets a bucket whose entries have all expired', async () => {
  let now = 0;
  const index = new MemorySemanticIndex(() => now);
  const entry = { paramsKey: 'p', vector: unitVector([1, 0]), value: 'v' };
  for (const bucket of ['a', 'b']) await index.add(bucket, entry, { maxEntries: 5, ttlMs: 100 });
  now = 100;
  assert.equal(await index.nearest('a', 'p', entry.vector, 0), undefined);
  assert.equal(await index.nearest('b', 'p', entry.vector, 0), undefined);
  assert.equal((index as unknown as { buckets: Map<string, unknown> }).buckets.size, 0);
});
