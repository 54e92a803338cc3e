import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { AdmissionGate, type AdmissionTicket } from './admission-gate.ts';
import { ThroughputFloor } from './throughput-floor.ts';

/** `finished` requests served and `refused` refused, spread over one window of `ms`. */
function window(floor: ThroughputFloor, clock: FakeClock, ms: number, finished: number, refused = 0): void {
  const events = finished + refused;
  for (let event = 0; event < events; event += 1) {
    clock.advance(ms / events);
    if (event < refused) floor.refused(clock.now());
    else floor.finished(clock.now());
  }
}

describe('ThroughputFloor', () => {
  it('is 0 until a window has closed, then what the window finished in burstMs', () => {
    const clock = new FakeClock(0);
    const floor = new ThroughputFloor(clock, 250);
    window(floor, clock, 999, 999);
    assert.equal(floor.floor, 0, 'the window is still open');
    window(floor, clock, 1, 1);
    assert.equal(floor.floor, 250, '1,000 served in 1,000 ms: 250 in 250 ms');
    window(floor, clock, 1000, 4000);
    assert.equal(floor.floor, 1000);
  });

  it('falls to 0 after a window that refused more than 1% of its requests, and comes back once one keeps up', () => {
    const clock = new FakeClock(0);
    const floor = new ThroughputFloor(clock, 100);
    window(floor, clock, 1000, 2000);
    assert.equal(floor.floor, 200);
    window(floor, clock, 1000, 1980, 20);
    assert.equal(floor.floor, 198, 'refused 1%: kept up');
    window(floor, clock, 1000, 1900, 100);
    assert.equal(floor.floor, 0, 'refused 5%: overloaded');
    window(floor, clock, 1000, 4000);
    assert.equal(floor.floor, 400);
  });

  it('keeps the floor of the traffic before an idle spell', () => {
    const clock = new FakeClock(0);
    const floor = new ThroughputFloor(clock, 100);
    window(floor, clock, 1000, 1000);
    clock.advance(60_000);
    assert.equal(floor.floor, 100);
  });

  it('refuses settings that cannot make a floor', () => {
    const clock = new FakeClock(0);
    assert.throws(() => new ThroughputFloor(clock, -1), /burstMs must be a finite number ≥ 0, got -1/);
    assert.throws(() => new ThroughputFloor(clock, Number.NaN), /burstMs must be/);
    assert.throws(() => new ThroughputFloor(clock, 100, 0), /windowMs must be a finite number > 0, got 0/);
  });
});

describe('AdmissionGate with a throughput floor', () => {
  function create(burstMs: number): { gate: AdmissionGate; clock: FakeClock } {
    const clock = new FakeClock(1_000);
    return {
      gate: new AdmissionGate({ initialLimit: 20, minLimit: 1, maxLimit: 500, burstMs, loopLag: false, clock }),
      clock,
    };
  }

  /** A second of `perSecond` requests each answered at once, as a server below capacity does. */
  function steadySecond(gate: AdmissionGate, clock: FakeClock, perSecond: number): void {
    for (let request = 0; request < perSecond; request += 1) {
      clock.advance(1000 / perSecond);
      const verdict = gate.admit();
      assert.ok(verdict.admitted);
      verdict.ticket.finish(200);
    }
  }

  /** Admits `count` at once (the arrivals of a pause); returns the tickets and how many were refused. */
  function burst(gate: AdmissionGate, count: number): { tickets: AdmissionTicket[]; refused: number } {
    const tickets: AdmissionTicket[] = [];
    for (let request = 0; request < count; request += 1) {
      const verdict = gate.admit();
      if (verdict.admitted) tickets.push(verdict.ticket);
    }
    return { tickets, refused: count - tickets.length };
  }

  it('admits the arrivals of a pause past the adaptive limit, up to what the server finishes in burstMs', () => {
    const { gate, clock } = create(250);
    steadySecond(gate, clock, 400);
    steadySecond(gate, clock, 400);
    assert.equal(gate.stats().limit, 100, 'the adaptive limit 20, held up to 400/s × 250 ms');
    const { tickets, refused } = burst(gate, 120);
    assert.equal(tickets.length, 100);
    assert.equal(refused, 20);
    for (const ticket of tickets) ticket.finish(200);
  });

  it('without a burst, the adaptive limit alone decides', () => {
    const { gate, clock } = create(0);
    steadySecond(gate, clock, 400);
    steadySecond(gate, clock, 400);
    assert.equal(burst(gate, 120).tickets.length, 20);
  });

  it('under overload the floor falls away: after a window that refused, the adaptive limit alone decides', () => {
    const { gate, clock } = create(250);
    steadySecond(gate, clock, 400);
    steadySecond(gate, clock, 400);
    const overload = burst(gate, 500);
    assert.equal(overload.refused, 400);
    clock.advance(1000);
    for (const ticket of overload.tickets) ticket.finish(200);
    assert.equal(gate.stats().limit, 20, 'the window with 400 refused of 900 closed: no floor');
    assert.equal(burst(gate, 30).tickets.length, 20);
  });
});
