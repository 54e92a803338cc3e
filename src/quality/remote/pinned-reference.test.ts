import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import { pinLastClosedWindow, type ReferenceKeeper } from './pinned-reference.ts';
import { StoredPins } from './stored-pins.ts';
import { monitor, START, store, window } from './remote-monitor.fixtures.ts';

const noEvents = { now: () => START, onEvent: (event: unknown) => assert.fail(JSON.stringify(event)) };

test('a pin is kept in the store, and a new monitor reading it tests its first window against it', async (t) => {
  const keeper = store(t);
  const before = monitor();
  window(before, 100);
  window(before, 300);
  const summary = await pinLastClosedWindow(before, keeper, 'k1', START + 5_000);
  assert.deepEqual(before.referenceSummary(), summary);
  const stored = await keeper.getReference('chat', '1');
  assert.deepEqual([stored?.pinnedAt, stored?.pinnedBy, summary?.origin], ['2026-03-01T00:00:05.000Z', 'k1', 'pinned']);
  const after = monitor();
  assert.equal(await new StoredPins(keeper, noEvents).load([after]), 1);
  assert.deepEqual(after.referenceSummary(), summary, 'the same reference, source, time and actor');
  window(after, 300);
  const report = after.report();
  assert.equal(report.window.closed, true);
  assert.deepEqual(report.reference, summary);
  assert.ok(report.features.length > 0 && report.features.every((feature) => !feature.drifted));
});

test('a pin the store refuses is answered ERR_STORE_UNAVAILABLE and leaves the reference as it was', async (t) => {
  const keeper = store(t);
  const failing: ReferenceKeeper = {
    putReference: async () => Promise.reject(new Error('disk full')),
    getReference: (model, version) => keeper.getReference(model, version),
  };
  const remote = monitor();
  window(remote, 100);
  window(remote, 300);
  const first = remote.referenceSummary();
  await assert.rejects(pinLastClosedWindow(remote, failing, 'k1', START), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'ERR_STORE_UNAVAILABLE');
    assert.match(error.message, /disk full; the reference is unchanged/);
    return true;
  });
  assert.deepEqual(remote.referenceSummary(), first);
  assert.equal(first?.origin, 'first_window');
  const next = await pinLastClosedWindow(remote, keeper, 'k2', START);
  assert.equal(next?.made_by, 'k2', 'a failed pin does not hold up the next');
});

test('two pins at once end with the same reference in the store and in force, the first write being the slower', async (t) => {
  const stored = store(t);
  let puts = 0;
  // The first write lands 20 ms late: unless the second waits for it, it lands last and the first pin is put in force last.
  const keeper: ReferenceKeeper = {
    putReference: async (reference) => {
      if ((puts += 1) === 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await stored.putReference(reference);
    },
    getReference: (model, version) => stored.getReference(model, version),
  };
  const remote = monitor();
  window(remote, 100);
  const pins = [pinLastClosedWindow(remote, keeper, 'k1', START), pinLastClosedWindow(remote, keeper, 'k2', START)];
  await Promise.all(pins);
  assert.equal(puts, 2);
  assert.equal(remote.referenceSummary()?.made_by, 'k2');
  assert.equal((await stored.getReference('chat', '1'))?.pinnedBy, 'k2');
});

test('nothing is pinned or stored before a window has closed', async (t) => {
  const keeper = store(t);
  assert.equal(await pinLastClosedWindow(monitor(), keeper, 'k1', START), undefined);
  assert.equal(await keeper.getReference('chat', '1'), undefined);
});
