/** What every limit store does, run against each implementation (limit-store.contract.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CounterCheck, LimitStore } from './limit-store.ts';

export interface LimitStoreFactory {
  /** A fresh, empty store (its own key prefix). */
  make(): Promise<LimitStore>;
}

const HOUR = 3_600_000;
const check = (key: string, amount: number, limit: number, expiresAtMs = Date.now() + HOUR): CounterCheck => ({
  key,
  amount,
  limit,
  expiresAtMs,
});

export function limitStoreContract(name: string, factory: LimitStoreFactory): void {
  const withStore = (title: string, body: (store: LimitStore) => Promise<void>) =>
    test(`${title} (${name})`, async () => {
      const store = await factory.make();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });

  withStore('a reservation under every limit is admitted and reports each counter after it', async (store) => {
    assert.deepEqual(await store.reserve([check('a', 3, 10), check('b', 1, 5)]), { admitted: true, used: [3, 1] });
    assert.deepEqual(await store.reserve([check('a', 3, 10), check('b', 1, 5)]), { admitted: true, used: [6, 2] });
  });

  withStore(
    'a reservation that would go over one limit is refused, naming it, and adds to no counter',
    async (store) => {
      await store.reserve([check('a', 8, 10)]);
      assert.deepEqual(await store.reserve([check('b', 1, 5), check('a', 3, 10)]), {
        admitted: false,
        refused: 1,
        used: 8,
      });
      assert.deepEqual(await store.reserve([check('b', 1, 5), check('a', 2, 10)]), { admitted: true, used: [1, 10] });
    },
  );

  withStore('a counter already over its limit refuses even a reservation of nothing', async (store) => {
    await store.reserve([check('a', 5, 10)]);
    await store.settle([{ key: 'a', delta: 7 }]);
    assert.deepEqual(await store.reserve([check('a', 0, 10)]), { admitted: false, refused: 0, used: 12 });
  });

  withStore('settling corrects a counter, and giving back makes room again', async (store) => {
    await store.reserve([check('a', 10, 10)]);
    assert.equal((await store.reserve([check('a', 1, 10)])).admitted, false);
    await store.settle([{ key: 'a', delta: -4 }]);
    assert.deepEqual(await store.reserve([check('a', 4, 10)]), { admitted: true, used: [10] });
  });

  withStore('a counter is gone once its window ends, and settling does not bring it back', async (store) => {
    await store.reserve([check('a', 10, 10, Date.now() + 40)]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await store.settle([{ key: 'a', delta: 5 }]);
    assert.deepEqual(await store.reserve([check('a', 10, 10)]), { admitted: true, used: [10] });
  });

  withStore('200 reservations at once against a limit of 50 admit exactly 50', async (store) => {
    const verdicts = await Promise.all(Array.from({ length: 200 }, () => store.reserve([check('a', 1, 50)])));
    assert.equal(verdicts.filter((verdict) => verdict.admitted).length, 50);
  });
}
