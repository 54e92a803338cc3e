import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { pinLastClosedWindow, type ReferenceKeeper } from './pinned-reference.ts';
import { monitor, START, store, window } from './remote-monitor.fixtures.ts';
import { StoredPins, type PinEvent } from './stored-pins.ts';

/** A keeper over `stored` whose reads fail while `failing()` says so. */
function flaky(stored: ReferenceKeeper, failing: () => boolean): ReferenceKeeper & { reads: number } {
  const keeper = {
    reads: 0,
    putReference: (reference: Parameters<ReferenceKeeper['putReference']>[0]) => stored.putReference(reference),
    getReference: async (model: string, version: string) => {
      keeper.reads += 1;
      if (failing()) throw new Error('connection refused');
      return stored.getReference(model, version);
    },
  };
  return keeper;
}

function pinsOn(keeper: ReferenceKeeper, clock: { now: number }, retryMs: readonly number[] = []) {
  const events: PinEvent[] = [];
  const pins = new StoredPins(keeper, { now: () => clock.now, onEvent: (event) => events.push(event), retryMs });
  return { pins, events, kinds: () => events.map((event) => event.kind) };
}

async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    assert.ok(waited < 2_000, 'in time');
    await sleep(5);
  }
}

/** A pin of a window of ~300-token prompts, made and stored by another monitor. */
async function storedPin(keeper: ReferenceKeeper) {
  const other = monitor();
  window(other, 100);
  window(other, 300);
  return pinLastClosedWindow(other, keeper, 'k1', START + 1_000);
}

test('a store that fails at start is read again with backoff, the first window held untested until the pin is read', async (t) => {
  const stored = store(t);
  const pinned = await storedPin(stored);
  const keeper = flaky(stored, () => keeper.reads <= 2);
  const { pins, kinds } = pinsOn(keeper, { now: START }, [20, 20, 20]);
  t.after(() => pins.close());
  const remote = monitor();
  assert.equal(await pins.load([remote]), 0);
  window(remote, 300);
  const held = remote.report();
  assert.deepEqual([held.window.closed, held.reference, held.features], [true, null, []]);
  assert.deepEqual(
    held.untested.map((feature) => feature.name),
    ['prompt_tokens', 'completion_tokens', 'finish_reason', 'error', 'prompt.oov_rate'],
  );
  assert.match(held.untested[0]?.reason ?? '', /cannot be read from the state store yet \(retrying\)/);
  await until(() => remote.referenceSummary() !== null);
  assert.deepEqual(kinds(), ['retrying', 'retrying']);
  assert.equal(keeper.reads, 3);
  const report = remote.report();
  assert.deepEqual(report.reference, pinned, 'the stored pin, not the held window');
  assert.ok(report.features.length > 0 && report.features.every((feature) => !feature.drifted));
  assert.deepEqual(report.untested, []);
});

test('a store that never answers: the retries give up, reported once, and the held first window is the reference', async (t) => {
  const keeper = flaky(store(t), () => true);
  const { pins, events, kinds } = pinsOn(keeper, { now: START }, [5, 5]);
  t.after(() => pins.close());
  const remote = monitor();
  await pins.load([remote]);
  window(remote, 100);
  window(remote, 100);
  await until(() => kinds().includes('gave_up'));
  assert.deepEqual(kinds(), ['retrying', 'retrying', 'gave_up']);
  const last = events.at(-1);
  assert.deepEqual(last?.kind === 'gave_up' && [last.attempts, last.error.message], [3, 'connection refused']);
  const reference = remote.referenceSummary();
  assert.equal(reference?.origin, 'first_window');
  assert.match(
    reference?.source ?? '',
    /^the first window closed after start: 50 requests from 2026-03-01T00:00:00.000Z/,
  );
  const second = remote.report();
  assert.ok(second.features.length > 0, 'the second window is tested against the held first');
});

test('a stored pin that cannot be parsed is reported once and skipped at once: the first window is the reference', async (t) => {
  const keeper = store(t);
  await keeper.putReference({ model: 'chat', version: '1', pinnedAt: '', pinnedBy: 'k1', profile: { format: 2 } });
  const clock = { now: START };
  const { pins, events } = pinsOn(keeper, clock, [5]);
  t.after(() => pins.close());
  const remote = monitor(clock);
  assert.equal(await pins.load([remote]), 0);
  window(remote, 100);
  assert.equal(remote.referenceSummary()?.origin, 'first_window');
  clock.now += 60_000;
  window(remote, 100);
  await sleep(10);
  assert.deepEqual(
    events.map((event) => `${event.kind} ${event.model}: ${'error' in event ? event.error.message : ''}`),
    ['unreadable chat: the pinned reference of chat:1 in the state store is not a sluice reference profile (format 1)'],
  );
});

test('a row whose profile is not JSON is a pin that cannot be read, not a store to read again', async () => {
  const keeper: ReferenceKeeper = {
    putReference: async () => undefined,
    getReference: async () => Promise.reject(new SyntaxError('Unexpected token } in JSON at position 9')),
  };
  const { pins, kinds } = pinsOn(keeper, { now: START }, [5]);
  const remote = monitor();
  await pins.load([remote]);
  window(remote, 100);
  assert.deepEqual(kinds(), ['unreadable']);
  assert.equal(remote.referenceSummary()?.origin, 'first_window');
});

test("another replica's pin is taken when a window closes 30 s after the last read, not before", async (t) => {
  const stored = store(t);
  const clock = { now: START };
  const [a, b] = [monitor(clock), monitor(clock)];
  const onB = pinsOn(stored, clock);
  t.after(() => onB.pins.close());
  await onB.pins.load([b]);
  window(a, 100);
  window(b, 100);
  window(a, 300);
  const pinned = await pinLastClosedWindow(a, stored, 'k1', clock.now);
  clock.now += 29_999;
  window(b, 300);
  await sleep(10);
  assert.equal(b.referenceSummary()?.origin, 'first_window', 'read at start 29.999 s ago');
  clock.now += 1;
  window(b, 300);
  await until(() => b.referenceSummary()?.origin === 'pinned');
  assert.deepEqual(b.referenceSummary(), pinned);
  assert.deepEqual(onB.kinds(), ['taken']);
  const report = b.report();
  assert.deepEqual(report.reference, pinned, 'the window that closed is tested against it');
  assert.ok(report.features.length > 0 && report.features.every((feature) => !feature.drifted));
});

test('a read in flight never puts back the pin a newer one of this process replaced', async (t) => {
  const stored = store(t);
  const clock = { now: START };
  // Reads see the store when asked and answer 20 ms later.
  const keeper: ReferenceKeeper = {
    putReference: (reference) => stored.putReference(reference),
    getReference: async (model, version) => {
      const row = await stored.getReference(model, version);
      await sleep(20);
      return row;
    },
  };
  const remote = monitor(clock);
  const { pins } = pinsOn(keeper, clock);
  t.after(() => pins.close());
  await pins.load([remote]);
  window(remote, 100);
  await pinLastClosedWindow(remote, keeper, 'k1', clock.now);
  clock.now += 30_000;
  window(remote, 300); // a read of the store as it is: the pin by k1
  const newer = await pinLastClosedWindow(remote, keeper, 'k2', clock.now);
  await sleep(40);
  assert.equal(remote.referenceSummary()?.made_by, 'k2');
  assert.deepEqual(remote.referenceSummary(), newer);
  assert.equal((await stored.getReference('chat', '1'))?.pinnedBy, 'k2');
});
