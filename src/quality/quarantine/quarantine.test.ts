import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { openSqliteStore } from '../../state/sqlite-store.ts';
import { Quarantine } from './quarantine.ts';

const HOUR = 3_600_000;

function refused(model: string, age: number): { context: RequestContext; failure: SluiceError } {
  const context = {
    target: { name: model, version: '1' },
    request: {
      items: { decode: () => [], label: (i: number) => `instances[${i}]` },
      document: { instances: [{ age }] },
    },
  } as unknown as RequestContext;
  const failures = [{ field: 'instances[0].age', rule: 'must be <= 120' }];
  return { context, failure: new SluiceError('ERR_REQUEST_INVALID', 'bad', { failures }) };
}

test('the stage quarantines data refusals; entries past their time to live are never listed, then pruned', async (t) => {
  const store = openSqliteStore(':memory:');
  let now = Date.UTC(2026, 2, 1);
  const quarantine = new Quarantine({ store, maxPerModel: 10, ttlMs: 2 * HOUR, now: () => now });
  t.after(async () => {
    await quarantine.close();
    await store.close();
  });
  const hear = (model: string, age: number) => {
    const { context, failure } = refused(model, age);
    quarantine.stage.rejected?.(context, failure);
  };
  hear('noshow-risk', 200);
  now += HOUR;
  hear('noshow-risk', 300);
  hear('other', 400);
  const listed = await quarantine.list({ model: 'noshow-risk', limit: 10 });
  assert.deepEqual(
    listed.map((entry) => entry.payload),
    [{ instances: [{ age: 300 }] }, { instances: [{ age: 200 }] }],
    'listing wrote what was pending first',
  );
  now += HOUR + 1;
  assert.deepEqual(
    (await quarantine.list({ model: 'noshow-risk', limit: 10 })).map((entry) => entry.payload),
    [{ instances: [{ age: 300 }] }],
    'the first entry expired and is not listed',
  );
  assert.equal(await quarantine.prune(), 1);
  const everything = await store.listQuarantine({ model: 'noshow-risk', since: '2000-01-01T00:00:00Z', limit: 10 });
  assert.equal(everything.length, 1, 'the expired entry is gone from the store');
  assert.equal(await quarantine.clear('noshow-risk'), 1);
  assert.equal((await quarantine.list({ model: 'other', limit: 10 })).length, 1, 'another model is not cleared');
});

test('start prunes at once and reports a failed prune instead of throwing', async () => {
  const store = openSqliteStore(':memory:');
  const errors: Error[] = [];
  let pruned = 0;
  const failing = {
    addQuarantine: store.addQuarantine.bind(store),
    listQuarantine: store.listQuarantine.bind(store),
    clearQuarantine: store.clearQuarantine.bind(store),
    pruneQuarantine: async () => {
      pruned += 1;
      throw new Error('database down');
    },
  };
  const quarantine = new Quarantine({
    store: failing,
    maxPerModel: 10,
    ttlMs: HOUR,
    now: Date.now,
    onError: (error) => errors.push(error),
  });
  quarantine.start();
  await new Promise((resolve) => setImmediate(resolve));
  await quarantine.close();
  await store.close();
  assert.equal(pruned, 1);
  assert.deepEqual(
    errors.map((error) => error.message),
    ['database down'],
  );
});
