/** What every semantic index does, memory or Redis: one suite, run against each (semantic-index.contract.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unitVector, type SemanticIndex } from './semantic-index.ts';

export interface IndexFactory {
  /** A fresh, empty index (its own key space) reading time from `now` (ms since the epoch). */
  make(now: () => number): Promise<SemanticIndex>;
}

const BOUNDS = { maxEntries: 100, ttlMs: 60_000 };
const at = (angle: number) => unitVector([Math.cos(angle), Math.sin(angle), 0]);
const entry = (value: string, vector: Float32Array, paramsKey = 'p') => ({ paramsKey, vector, value });

export function semanticIndexContract(name: string, factory: IndexFactory): void {
  const fresh = async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    return { clock, index: await factory.make(() => clock.ms) };
  };

  test(`${name}: a lookup finds the most similar entry at or above the threshold, and nothing below it`, async () => {
    const { index } = await fresh();
    await index.add('b', entry('far', at(0.5)), BOUNDS);
    await index.add('b', entry('near', at(0.1)), BOUNDS);
    const match = await index.nearest('b', 'p', at(0), 0.9);
    assert.equal(match?.value, 'near');
    assert.ok(Math.abs((match?.similarity ?? 0) - Math.cos(0.1)) < 1e-6);
    assert.equal(await index.nearest('b', 'p', at(0), 0.999), undefined);
    assert.equal(await index.nearest('empty', 'p', at(0), -1), undefined);
    await index.close();
  });

  test(`${name}: an entry of another parameters key or another bucket is never found, however similar`, async () => {
    const { index } = await fresh();
    await index.add('acme', entry('acme answer', at(0)), BOUNDS);
    await index.add('acme', entry('other parameters', at(0), 'q'), BOUNDS);
    assert.equal(await index.nearest('globex', 'p', at(0), 0), undefined);
    assert.equal((await index.nearest('acme', 'q', at(0), 0))?.value, 'other parameters');
    assert.equal((await index.nearest('acme', 'p', at(0), 0))?.value, 'acme answer');
    await index.close();
  });

  test(`${name}: a bucket keeps its newest entries up to the bound, dropping the oldest first`, async () => {
    const { index } = await fresh();
    const bounds = { maxEntries: 3, ttlMs: 60_000 };
    for (const [position, value] of ['a', 'b', 'c', 'd', 'e'].entries())
      await index.add('b', entry(value, at(position)), bounds);
    const found = async (position: number) => (await index.nearest('b', 'p', at(position), 0.999))?.value;
    assert.deepEqual(await Promise.all([0, 1, 2, 3, 4].map(found)), [undefined, undefined, 'c', 'd', 'e']);
    await index.close();
  });

  test(`${name}: an entry past its TTL is not found; a newer one still is`, async () => {
    const { index, clock } = await fresh();
    await index.add('b', entry('old', at(0)), { maxEntries: 10, ttlMs: 1_000 });
    clock.ms += 600;
    await index.add('b', entry('new', at(1)), { maxEntries: 10, ttlMs: 1_000 });
    clock.ms += 500;
    assert.equal(await index.nearest('b', 'p', at(0), 0.999), undefined);
    assert.equal((await index.nearest('b', 'p', at(1), 0.999))?.value, 'new');
    await index.close();
  });

  test(`${name}: answers of any text come back as stored, and vectors of another length never match`, async () => {
    const { index } = await fresh();
    const value = JSON.stringify({ text: 'Grüße, 你好 — "quoted"\n', n: 1 });
    await index.add('b', entry(value, unitVector([0.3, -0.2, 0.9, 0.1])), BOUNDS);
    assert.equal((await index.nearest('b', 'p', unitVector([0.3, -0.2, 0.9, 0.1]), 0.999))?.value, value);
    assert.equal(await index.nearest('b', 'p', at(0), -1), undefined);
    await index.close();
  });
}
