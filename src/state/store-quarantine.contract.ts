/** The quarantine's part of the Store contract (run from store.contract.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { OpenForTest } from './store-fixtures.contract.ts';
import type { QuarantineEntry, QuarantineRecord } from './store.ts';

/** The n-th rejected request of a test: a second apart from 2026-03-01, fields from `overrides`. */
export function rejection(n: number, overrides: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return {
    model: 'noshow-risk',
    version: '1',
    time: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
    code: 'ERR_REQUEST_INVALID',
    failures: [{ item: n % 3, field: `instances[${n % 3}].age`, rule: 'must be <= 120' }],
    failuresTotal: 1,
    payload: { instances: [{ age: 200 + n, note: 'naïve café 🙂 "quoted"' }] },
    ...overrides,
  };
}

const LONG_AGO = '2000-01-01T00:00:00.000Z';
const withoutId = ({ id: _id, ...entry }: QuarantineRecord): QuarantineEntry => entry;

export function runQuarantineContract(open: OpenForTest): void {
  it('lists a model’s quarantined requests newest first, as written, by version and in pages', async (t) => {
    const store = await open(t);
    const entries = Array.from({ length: 7 }, (_, n) => rejection(n, { version: n % 2 === 0 ? '1' : '2' }));
    await store.addQuarantine(entries.slice(0, 4), 100);
    await store.addQuarantine([...entries.slice(4), rejection(9, { model: 'triage-small' })], 100);
    const all = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    assert.deepEqual(all.map(withoutId), [...entries].reverse());
    const ids = all.map((record) => record.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'ids fall as the list goes back in time',
    );
    const v2 = await store.listQuarantine({ model: 'noshow-risk', version: '2', since: LONG_AGO, limit: 100 });
    assert.deepEqual(v2.map(withoutId), [entries[5], entries[3], entries[1]]);
    const first = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 3 });
    const next = await store.listQuarantine({
      model: 'noshow-risk',
      since: LONG_AGO,
      beforeId: first.at(-1)?.id ?? 0,
      limit: 3,
    });
    assert.deepEqual([...first, ...next], all.slice(0, 6));
    assert.deepEqual(await store.listQuarantine({ model: 'nobody', since: LONG_AGO, limit: 10 }), []);
    assert.deepEqual(await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 0 }), []);
  });

  it('keeps at most the bound per model, every version together, dropping the oldest', async (t) => {
    const store = await open(t);
    const other = rejection(0, { model: 'triage-small' });
    await store.addQuarantine([other], 3);
    await store.addQuarantine([rejection(1), rejection(2, { version: '2' })], 3);
    await store.addQuarantine([rejection(3), rejection(4, { version: '2' }), rejection(5)], 3);
    const kept = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    assert.deepEqual(kept.map(withoutId), [rejection(5), rejection(4, { version: '2' }), rejection(3)]);
    const untouched = await store.listQuarantine({ model: 'triage-small', since: LONG_AGO, limit: 100 });
    assert.deepEqual(untouched.map(withoutId), [other], "another model's entries are not counted against it");
  });

  it('never lists an entry older than since, and prunes those', async (t) => {
    const store = await open(t);
    await store.addQuarantine(
      Array.from({ length: 6 }, (_, n) => rejection(n)),
      100,
    );
    const since = rejection(4).time;
    const listed = await store.listQuarantine({ model: 'noshow-risk', since, limit: 100 });
    assert.deepEqual(listed.map(withoutId), [rejection(5), rejection(4)]);
    assert.equal(await store.pruneQuarantine(since), 4);
    assert.equal(await store.pruneQuarantine(since), 0, 'a second prune finds nothing');
    const left = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    assert.deepEqual(left.map(withoutId), [rejection(5), rejection(4)]);
  });

  it('clears a model, or one version of it, and never hands out an id again', async (t) => {
    const store = await open(t);
    await store.addQuarantine([rejection(1), rejection(2, { version: '2' }), rejection(3, { model: 'other' })], 100);
    const before = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    assert.equal(await store.clearQuarantine('noshow-risk', '2'), 1);
    const afterVersion = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    assert.deepEqual(afterVersion.map(withoutId), [rejection(1)]);
    assert.equal(await store.clearQuarantine('noshow-risk'), 1);
    assert.equal(await store.clearQuarantine('noshow-risk'), 0);
    assert.equal((await store.listQuarantine({ model: 'other', since: LONG_AGO, limit: 100 })).length, 1);
    await store.addQuarantine([rejection(4)], 100);
    const [fresh] = await store.listQuarantine({ model: 'noshow-risk', since: LONG_AGO, limit: 100 });
    const newest = Math.max(...before.map((record) => record.id));
    assert.ok((fresh?.id ?? 0) > newest, `id ${fresh?.id} comes after ${newest}, so a page cursor stays sound`);
  });
}
