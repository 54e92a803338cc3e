/** What every cache store does, memory or Redis: one suite, run against each (cache-store.contract.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CacheStore } from './cache-store.ts';

export interface StoreFactory {
  /** A fresh, empty store (its own key space). */
  make(): Promise<CacheStore>;
}

export function cacheStoreContract(name: string, factory: StoreFactory): void {
  const entry = (key: string, value: string) => ({ key, value, model: 'm' });

  test(`${name}: values set are read back in the order of the keys asked, absent ones undefined`, async () => {
    const store = await factory.make();
    await store.set([entry('a', 'one'), entry('b', 'two')], 60_000);
    assert.deepEqual(await store.get(['b', 'x', 'a']), ['two', undefined, 'one']);
    assert.deepEqual(await store.get([]), []);
    await store.close();
  });

  test(`${name}: a value is gone once its TTL has run out`, async () => {
    const store = await factory.make();
    await store.set([entry('short', 'v')], 30);
    await store.set([entry('long', 'w')], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(await store.get(['short', 'long']), [undefined, 'w']);
    await store.close();
  });

  test(`${name}: a flight is held by one caller at a time until released`, async () => {
    const store = await factory.make();
    assert.equal(await store.acquire('f', 10_000), true);
    assert.equal(await store.acquire('f', 10_000), false);
    await store.release('f');
    assert.equal(await store.acquire('f', 10_000), true);
    await store.release('f');
    await store.close();
  });

  test(`${name}: a flight held past its hold can be taken by another caller`, async () => {
    const store = await factory.make();
    assert.equal(await store.acquire('g', 30), true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await store.acquire('g', 10_000), true);
    await store.release('g');
    await store.close();
  });

  test(`${name}: waiting on a flight ends when it is released, and at once when none is held`, async () => {
    const store = await factory.make();
    assert.equal(await store.landed('none', 5_000), true);
    await store.acquire('h', 10_000);
    const waiting = store.landed('h', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await store.release('h');
    assert.equal(await waiting, true);
    await store.close();
  });

  test(`${name}: waiting on a flight never released gives up after its timeout`, async () => {
    const store = await factory.make();
    await store.acquire('k', 10_000);
    const started = Date.now();
    assert.equal(await store.landed('k', 60), false);
    assert.ok(Date.now() - started >= 50);
    await store.release('k');
    await store.close();
  });
}
