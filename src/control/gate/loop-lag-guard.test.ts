import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { LoopLagGuard } from './loop-lag-guard.ts';

const TICK_MS = 5;
const TARGET_MS = 20;
const INTERVAL_MS = 100;

/** By default the process is busy all the time: its CPU time runs with the clock. */
function create(cpuMs?: () => number): { guard: LoopLagGuard; clock: FakeClock } {
  const clock = new FakeClock(1_000);
  const guard = new LoopLagGuard(clock, {
    tickMs: TICK_MS,
    targetMs: TARGET_MS,
    intervalMs: INTERVAL_MS,
    cpuMs: cpuMs ?? (() => clock.now()),
  });
  return { guard, clock };
}

/** The loop keeps up: the probe runs on time for `ms`. */
function keepUp(guard: LoopLagGuard, clock: FakeClock, ms: number): void {
  for (let elapsed = 0; elapsed < ms; elapsed += TICK_MS) {
    clock.advance(TICK_MS);
    guard.onTurn();
  }
}

/**
 * One turn of the loop that runs `ms` past the probe's due time, parsing `requests`
 * requests on the way (each admitted, early in the turn); the probe runs at its end.
 */
function stall(guard: LoopLagGuard, clock: FakeClock, ms: number, requests = 2): void {
  clock.advance(TICK_MS);
  for (let request = 0; request < requests; request += 1) assert.deepEqual(guard.check(), { shed: false });
  clock.advance(ms);
  guard.onTurn();
}

/**
 * Moves `ms` past the probe's due time into a turn that has already parsed one request
 * (admitted: it came first), so the next request checked is queued behind another.
 */
function intoTurn(guard: LoopLagGuard, clock: FakeClock, ms: number): void {
  clock.advance(TICK_MS);
  assert.deepEqual(guard.check(), { shed: false });
  clock.advance(ms);
}

describe('LoopLagGuard', () => {
  it('never sheds while the loop keeps up', () => {
    const { guard, clock } = create();
    for (let turn = 0; turn < 100; turn += 1) {
      keepUp(guard, clock, TICK_MS);
      assert.deepEqual(guard.check(), { shed: false });
    }
    assert.equal(guard.behind, false);
    assert.equal(guard.stallMs(), 0);
  });

  it('lets a single long turn through, however long: a burst is not a standing queue', () => {
    const { guard, clock } = create();
    keepUp(guard, clock, 50);
    intoTurn(guard, clock, 500);
    assert.equal(guard.stallMs(), 500);
    assert.deepEqual(guard.check(), { shed: false });
  });

  it('sheds past the target in a turn that follows turns late for a whole interval', () => {
    const { guard, clock } = create();
    keepUp(guard, clock, 50);
    stall(guard, clock, 60);
    stall(guard, clock, 60);
    assert.equal(guard.behind, true);
    intoTurn(guard, clock, TARGET_MS - 1);
    assert.deepEqual(guard.check(), { shed: false }, 'the first target ms of a turn are admitted');
    clock.advance(2);
    assert.deepEqual(guard.check(), { shed: true, stallMs: TARGET_MS + 1 });
  });

  it('tolerates late turns for less than an interval', () => {
    const { guard, clock } = create();
    keepUp(guard, clock, 50);
    stall(guard, clock, 40);
    intoTurn(guard, clock, 40);
    assert.equal(guard.behind, true);
    assert.deepEqual(guard.check(), { shed: false }, 'behind for 85 ms < 100 ms');
    clock.advance(20);
    assert.deepEqual(guard.check(), { shed: true, stallMs: 60 }, 'behind for 105 ms, and 60 ms into this turn');
  });

  it('never sheds a loop that catches up between late turns: stalls with on-time turns between are bursts', () => {
    const { guard, clock } = create();
    keepUp(guard, clock, 50);
    for (let stallNumber = 0; stallNumber < 40; stallNumber += 1) {
      intoTurn(guard, clock, 45);
      assert.deepEqual(guard.check(), { shed: false }, `stall ${stallNumber}, 45 ms into a late turn`);
      guard.onTurn();
      keepUp(guard, clock, TICK_MS);
    }
    assert.equal(guard.behind, false, 'the last turn was on time');
    // The same stalls back to back are a standing backlog.
    for (let stallNumber = 0; stallNumber < 3; stallNumber += 1) stall(guard, clock, 45);
    intoTurn(guard, clock, 45);
    assert.deepEqual(guard.check(), { shed: true, stallMs: 45 });
  });

  it('needs a queue: late turns with at most one request do not count, and a request alone in its turn is never shed', () => {
    const { guard, clock } = create();
    for (let turn = 0; turn < 10; turn += 1) stall(guard, clock, 80, turn % 2);
    assert.equal(guard.behind, false, 'the loop was busy with work of its own, or one request');
    stall(guard, clock, 80);
    stall(guard, clock, 80);
    assert.equal(guard.behind, true);
    clock.advance(TICK_MS + 300);
    assert.deepEqual(guard.check(), { shed: false }, 'alone in its turn: nothing queued behind which to shed');
    assert.deepEqual(guard.check(), { shed: true, stallMs: 300 }, 'the second request of the turn');
  });

  it('turns late by no more than the target do not count as behind', () => {
    const { guard, clock } = create();
    for (let turn = 0; turn < 50; turn += 1) stall(guard, clock, TARGET_MS);
    assert.equal(guard.behind, false);
    intoTurn(guard, clock, 300);
    assert.deepEqual(guard.check(), { shed: false });
  });

  it('stays behind until the loop has kept up for a whole interval, then treats a long turn as a burst again', () => {
    const { guard, clock } = create();
    stall(guard, clock, 200);
    keepUp(guard, clock, INTERVAL_MS - TICK_MS);
    assert.equal(guard.behind, true, 'on time for less than an interval');
    intoTurn(guard, clock, 30);
    assert.deepEqual(guard.check(), { shed: true, stallMs: 30 }, 'a long turn soon after is shed at once');
    guard.onTurn();
    keepUp(guard, clock, INTERVAL_MS);
    assert.equal(guard.behind, false, 'on time for a whole interval');
    intoTurn(guard, clock, 30);
    assert.deepEqual(guard.check(), { shed: false });
  });

  it('a loop late because its core was taken away (little CPU time through the late turns) is not behind', () => {
    let cpu = 0;
    const { guard, clock } = create(() => cpu);
    keepUp(guard, clock, 50);
    // Late turns with a queue, but the process ran for only a third of each.
    for (let turn = 0; turn < 8; turn += 1) {
      const before = clock.now();
      stall(guard, clock, 60);
      cpu += (clock.now() - before) / 3;
    }
    assert.equal(guard.behind, false);
    intoTurn(guard, clock, 60);
    assert.deepEqual(guard.check(), { shed: false });
    // The same turns with the process busy through them: behind, and shedding.
    for (let turn = 0; turn < 8; turn += 1) {
      const before = clock.now();
      clock.advance(TICK_MS);
      guard.check();
      guard.check();
      clock.advance(60);
      cpu += clock.now() - before;
      guard.onTurn();
    }
    assert.equal(guard.behind, true);
    clock.advance(TICK_MS);
    guard.check();
    clock.advance(30);
    assert.equal(guard.check().shed, true);
  });

  it('refuses settings that are not positive', () => {
    const clock = new FakeClock();
    assert.throws(() => new LoopLagGuard(clock, { tickMs: 0 }), /tickMs must be a finite number > 0/);
    assert.throws(() => new LoopLagGuard(clock, { targetMs: -1 }), /targetMs/);
    assert.throws(() => new LoopLagGuard(clock, { intervalMs: Infinity }), /intervalMs/);
  });
});
