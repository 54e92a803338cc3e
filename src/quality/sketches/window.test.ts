import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { RunningMoments } from './moments.ts';
import { SketchWindows, windowStart, type WindowSpec } from './window.ts';

function windows(window: WindowSpec, maxKeys = 4, clock = new FakeClock(0)): SketchWindows<RunningMoments> {
  return new SketchWindows({ window, maxKeys, clock, create: () => new RunningMoments() });
}

describe('sketch windows', () => {
  it('align time windows on multiples of their length', () => {
    assert.equal(windowStart(60_000, 125_000), 120_000);
    assert.equal(windowStart(60_000, 120_000), 120_000);
    assert.equal(windowStart(60_000, 119_999), 60_000);
  });

  it('close a time window when its span has passed, and the report reads the closed one', () => {
    const clock = new FakeClock(10_000);
    const held = windows({ kind: 'time', ms: 60_000 }, 4, clock);
    held.record('latency', (sketch) => sketch.add(1));
    held.record('latency', (sketch) => sketch.add(3));
    assert.equal(held.previous('latency'), undefined);
    assert.equal(held.current('latency')?.items, 2);

    clock.advance(55_000); // 65 s: the window [0, 60 s) has closed
    held.record('latency', (sketch) => sketch.add(10));
    const closed = held.previous('latency');
    assert.deepEqual([closed?.startMs, closed?.endMs, closed?.items, closed?.sketch.mean], [0, 60_000, 2, 2]);
    assert.deepEqual([held.current('latency')?.startMs, held.current('latency')?.sketch.count], [60_000, 1]);
  });

  it('roll on reading too, and a window with no traffic closes empty rather than showing a stale one', () => {
    const clock = new FakeClock(0);
    const held = windows({ kind: 'time', ms: 1_000 }, 4, clock);
    held.record('a', (sketch) => sketch.add(1));
    clock.advance(1_500);
    assert.equal(held.previous('a')?.items, 1);
    clock.advance(2_000); // 3.5 s: [2 s, 3 s) saw nothing
    const closed = held.previous('a');
    assert.deepEqual([closed?.startMs, closed?.endMs, closed?.items, closed?.sketch.count], [2_000, 3_000, 0, 0]);
  });

  it('keep filling the open window when the wall clock steps back', () => {
    let now = 5_500;
    const held = new SketchWindows({
      window: { kind: 'time', ms: 1_000 },
      maxKeys: 1,
      clock: { now: () => now },
      create: () => new RunningMoments(),
    });
    held.record('a', (sketch) => sketch.add(1));
    now = 3_500;
    held.record('a', (sketch) => sketch.add(2));
    assert.deepEqual([held.current('a')?.startMs, held.current('a')?.items, held.previous('a')], [5_000, 2, undefined]);
  });

  it('close an item window after N records', () => {
    const clock = new FakeClock(0);
    const held = windows({ kind: 'items', items: 3 }, 4, clock);
    for (let i = 1; i <= 7; i++) {
      clock.advance(10);
      held.record('a', (sketch) => sketch.add(i));
    }
    const closed = held.previous('a');
    assert.deepEqual([closed?.items, closed?.sketch.mean, closed?.startMs, closed?.endMs], [3, 5, 30, 60]);
    assert.equal(held.current('a')?.items, 1);
  });

  it('bound the keys: a new key past the limit is refused and counted', () => {
    const held = windows({ kind: 'items', items: 10 }, 2);
    assert.equal(
      held.record('a', (sketch) => sketch.add(1)),
      true,
    );
    assert.equal(
      held.record('b', (sketch) => sketch.add(1)),
      true,
    );
    assert.equal(
      held.record('c', (sketch) => sketch.add(1)),
      false,
    );
    assert.equal(
      held.record('a', (sketch) => sketch.add(2)),
      true,
    );
    assert.deepEqual(held.keys(), ['a', 'b']);
    assert.deepEqual(held.stats(), { keys: 2, maxKeys: 2, refusedKeys: 1, evictedKeys: 0 });
  });

  it('make room for a new key by evicting keys idle for two time windows', () => {
    const clock = new FakeClock(0);
    const held = windows({ kind: 'time', ms: 1_000 }, 2, clock);
    held.record('old', (sketch) => sketch.add(1));
    clock.advance(1_000);
    held.record('recent', (sketch) => sketch.add(1));
    clock.advance(500); // 1.5 s: 'old' still has its closed window [0, 1 s) to report
    assert.equal(
      held.record('new', (sketch) => sketch.add(1)),
      false,
    );
    clock.advance(500); // 2 s: 'old' has nothing left in either window
    assert.equal(
      held.record('new', (sketch) => sketch.add(1)),
      true,
    );
    assert.deepEqual(held.keys().sort(), ['new', 'recent']);
    assert.deepEqual(held.stats(), { keys: 2, maxKeys: 2, refusedKeys: 1, evictedKeys: 1 });
  });

  it('refuse a window of no length', () => {
    assert.throws(() => windows({ kind: 'time', ms: 0 }), /positive integer/);
    assert.throws(() => windows({ kind: 'items', items: 10 }, 0), /maxKeys/);
  });
});
