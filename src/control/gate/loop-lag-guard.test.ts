import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { LoopLagGuard } from './loop-lag-guard.ts';

const TICK_MS = 5;
const TARGET_MS = 20;
const INTERVAL_MS = 100;

/** By default the process is busy all the time: its CPU time runs with the clock. */
function create(cpuMs?: () => number, gcMs?: () => number): { guard: LoopLagGuard; clock: FakeClock } {
  const clock = new FakeClock(1_000);
  const guard = new LoopLagGuard(clock, {
    tickMs: TICK_MS,
    targetMs: TARGET_MS,
    intervalMs: INTERVAL_MS,
    cpuMs: cpuMs ?? (() => clock.now()),
    ...(gcMs === undefined ? {} : { gcMs }),
  });
  return { guard, clock };
}

/** A guard whose process collects garbage when told: `collect(ms)` stops the loop for `ms`, all of it GC. */
function createWithGc(): { guard: LoopLagGuard; clock: FakeClock; collect: (ms: number) => void } {
  let gcMs = 0;
  const { guard, clock } = create(undefined, () => gcMs);
  const collect = (ms: number): void => {
    gcMs += ms;
    clock.advance(ms);
  };
  return { guard, clock, collect };
}

/**
 * A turn that parses requests for `ms` past its due time, with a GC pause of `gcMs` in
 * the middle; every request is asked about, the last one at the end of the turn.
 * Returns the verdicts that shed.
 */
function turn({ guard, clock, collect }: ReturnType<typeof createWithGc>, ms: number, gcMs = 0, requests = 4): number {
  let shed = 0;
  clock.advance(TICK_MS);
  for (let request = 0; request < requests; request += 1) {
    if (request === Math.floor(requests / 2)) collect(gcMs);
    clock.advance(ms / requests);
    if (guard.check().shed) shed += 1;
  }
  guard.onTurn();
  return shed;
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

  it('does not count garbage collection pauses as a backlog, however long and however often', () => {
    const loop = createWithGc();
    keepUp(loop.guard, loop.clock, 50);
    // Turns late by GC alone, back to back for a second: a scavenge or marking step in each.
    for (let index = 0; index < 20; index += 1)
      assert.equal(turn(loop, 0.5, 30 + (index % 3) * 20), 0, `turn ${index}, stalled by GC only`);
    assert.equal(loop.guard.behind, false);
  });

  it('does not shed a turn whose stall so far is a GC pause, after a late turn: the pause is no backlog', () => {
    const loop = createWithGc();
    keepUp(loop.guard, loop.clock, 50);
    assert.equal(turn(loop, 30), 0);
    assert.equal(loop.guard.behind, true);
    // A 58 ms scavenge in this turn, then requests: 108 ms since the late run began, but
    // only 15 ms of this turn's stall is the loop's own work.
    loop.clock.advance(TICK_MS);
    assert.deepEqual(loop.guard.check(), { shed: false });
    loop.collect(58);
    loop.clock.advance(15);
    assert.deepEqual(loop.guard.check(), { shed: false });
    assert.deepEqual(loop.guard.check(), { shed: false });
  });

  // After a pause of `pauseMs`, at load ρ each turn parses what arrived during the last one:
  // ρ × its length of work. The backlog drains geometrically: a burst, not a standing queue,
  // even where its late turns together last longer than the interval. (A single turn of
  // requests longer than the interval is a backlog by itself: see "stays behind" above.)
  const drains: ReadonlyArray<{ load: number; pauseMs: number; gc: boolean }> = [
    { load: 0.5, pauseMs: 80, gc: true },
    { load: 0.8, pauseMs: 60, gc: true },
    { load: 0.8, pauseMs: 120, gc: true },
    { load: 0.9, pauseMs: 80, gc: true },
    { load: 0.8, pauseMs: 90, gc: false },
    { load: 0.9, pauseMs: 90, gc: false },
  ];
  for (const { load, pauseMs, gc } of drains) {
    it(`never sheds a backlog that drains: load ${load} after a ${pauseMs} ms ${gc ? 'GC pause' : 'stall of requests'}`, () => {
      const loop = createWithGc();
      keepUp(loop.guard, loop.clock, 50);
      let shed = gc ? turn(loop, 0, pauseMs) : turn(loop, pauseMs);
      let lateRunMs = 0;
      for (let lateMs = pauseMs * load; lateMs > 1; lateMs *= load) {
        shed += turn(loop, lateMs);
        if (lateMs > TARGET_MS) lateRunMs += lateMs + TICK_MS;
      }
      if (load >= 0.8) assert.ok(lateRunMs >= INTERVAL_MS, `late for ${lateRunMs} ms: longer than the interval`);
      assert.equal(shed, 0);
      keepUp(loop.guard, loop.clock, TICK_MS);
      assert.equal(loop.guard.behind, false);
    });
  }

  // Past capacity each turn parses more than the last took to arrive: turns grow by ρ.
  const growths: ReadonlyArray<{ load: number; shedByMs: number }> = [
    { load: 1.2, shedByMs: 160 },
    { load: 2, shedByMs: 130 },
    { load: 3, shedByMs: 110 },
  ];
  for (const { load, shedByMs } of growths) {
    it(`sheds a backlog that grows (load ${load}) within ${shedByMs} ms of the first late turn, with GC pauses among the turns`, () => {
      const loop = createWithGc();
      keepUp(loop.guard, loop.clock, 50);
      const lateSince = loop.clock.now() + TICK_MS;
      let firstShedMs: number | undefined;
      for (let index = 0, lateMs = 25; index < 12 && firstShedMs === undefined; index += 1, lateMs *= load) {
        const requests = 8;
        loop.clock.advance(TICK_MS);
        for (let request = 0; request < requests; request += 1) {
          if (index % 2 === 1 && request === 4) loop.collect(10);
          loop.clock.advance(lateMs / requests);
          if (loop.guard.check().shed) firstShedMs ??= loop.clock.now() - lateSince;
        }
        loop.guard.onTurn();
      }
      assert.ok(firstShedMs !== undefined && firstShedMs <= shedByMs, `first shed after ${firstShedMs} ms`);
    });
  }

  it('refuses settings that are not positive', () => {
    const clock = new FakeClock();
    assert.throws(() => new LoopLagGuard(clock, { tickMs: 0 }), /tickMs must be a finite number > 0/);
    assert.throws(() => new LoopLagGuard(clock, { targetMs: -1 }), /targetMs/);
    assert.throws(() => new LoopLagGuard(clock, { intervalMs: Infinity }), /intervalMs/);
  });
});
