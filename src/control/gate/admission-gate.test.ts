import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { AdmissionGate, permitOutcome, type AdmissionGateOptions, type AdmissionTicket } from './admission-gate.ts';

const TICK_MS = 5;

function create(options: Partial<AdmissionGateOptions> = {}): { gate: AdmissionGate; clock: FakeClock } {
  const clock = new FakeClock(1_000);
  const gate = new AdmissionGate({
    initialLimit: 10,
    minLimit: 1,
    maxLimit: 1000,
    clock,
    loopLag: { tickMs: TICK_MS, targetMs: 20, intervalMs: 100, cpuMs: () => clock.now() },
    ...options,
  });
  return { gate, clock };
}

function admitted(gate: AdmissionGate): AdmissionTicket {
  const verdict = gate.admit();
  assert.ok(verdict.admitted, `refused at limit ${gate.stats().limit} with ${gate.stats().inflight} in flight`);
  return verdict.ticket;
}

/** The gate's stats but the per-tenant ones, which the tenant tests below check. */
function withoutTenants(gate: AdmissionGate): Omit<ReturnType<AdmissionGate['stats']>, 'tenants'> {
  const { limit, inflight, refused, loopStallMs, loopBehind } = gate.stats();
  return { limit, inflight, refused, loopStallMs, loopBehind };
}

/** Lets the probe run on time, as an idle loop would, for `ms`. */
function keepUp(gate: AdmissionGate, clock: FakeClock, ms: number): void {
  for (let elapsed = 0; elapsed < ms; elapsed += TICK_MS) {
    clock.advance(TICK_MS);
    gate.loopTurned();
  }
}

/** `turns` turns that each run 60 ms late while parsing two requests (admitted): a queue. */
function lateTurns(gate: AdmissionGate, clock: FakeClock, turns: number): void {
  for (let turn = 0; turn < turns; turn += 1) {
    clock.advance(TICK_MS);
    admitted(gate).finish(200);
    admitted(gate).finish(200);
    clock.advance(60);
    gate.loopTurned();
  }
}

/** As many requests as the limit admits, each answered `status` after `rttMs`. */
function round(gate: AdmissionGate, clock: FakeClock, rttMs: number, status = 200): void {
  const tickets = Array.from({ length: gate.stats().limit }, () => admitted(gate));
  keepUp(gate, clock, rttMs);
  for (const ticket of tickets) ticket.finish(status);
}

/** Rounds for `ms` of fake time; returns the limit after them. */
function roundsFor(gate: AdmissionGate, clock: FakeClock, ms: number, rttMs: number, status = 200): number {
  for (let elapsed = 0; elapsed < ms; elapsed += rttMs) round(gate, clock, rttMs, status);
  return gate.stats().limit;
}

describe('AdmissionGate', () => {
  it('admits up to the limit and refuses beyond it with 429 ERR_ADMISSION_OVERLOADED and a Retry-After', () => {
    const { gate } = create({ initialLimit: 2, minLimit: 1, maxLimit: 2 });
    const first = admitted(gate);
    admitted(gate);
    const refused = gate.admit();
    assert.equal(refused.admitted, false);
    if (refused.admitted) return;
    assert.equal(refused.guard, 'concurrency');
    assert.equal(refused.error.code, 'ERR_ADMISSION_OVERLOADED');
    assert.equal(refused.error.status, 429);
    assert.match(
      refused.error.message,
      /at its limit of 2 concurrent inference requests; the request was refused before its body was read/,
    );
    assert.equal(refused.error.retryAfterMs, 1000, 'no latency measured yet: a second');
    assert.deepEqual(withoutTenants(gate), {
      limit: 2,
      inflight: 2,
      refused: { concurrency: 1, loop_lag: 0, tenant_share: 0 },
      loopStallMs: 0,
      loopBehind: false,
    });
    assert.equal(gate.stats().tenants['default']?.inflight, 2);
    first.finish(200);
    admitted(gate);
  });

  it('grows the limit while latency stays at its baseline', () => {
    const { gate, clock } = create({ initialLimit: 10 });
    const limits = [
      roundsFor(gate, clock, 5_000, 20),
      roundsFor(gate, clock, 5_000, 20),
      roundsFor(gate, clock, 5_000, 20),
    ];
    assert.ok(limits[0]! > 10 && limits[1]! > limits[0]! && limits[2]! > limits[1]!, `limits ${limits.join(' → ')}`);
  });

  it('shrinks the limit when latency rises well above its baseline', () => {
    const { gate, clock } = create({ initialLimit: 50 });
    const fast = roundsFor(gate, clock, 15_000, 10);
    const slow = roundsFor(gate, clock, 10_000, 200);
    assert.ok(fast > 50, `limit ${fast} at 10 ms`);
    assert.ok(slow < fast * 0.6, `limit ${fast} at 10 ms, ${slow} at 200 ms`);
    Array.from({ length: slow }, () => admitted(gate));
    assert.equal(gate.admit().admitted, false, 'and refuses beyond the lower limit');
  });

  it('learns nothing from client errors and 503s, and backs off on other server errors', () => {
    const { gate, clock } = create({ initialLimit: 20 });
    assert.equal(roundsFor(gate, clock, 5_000, 10, 400), 20);
    assert.equal(roundsFor(gate, clock, 5_000, 10, 404), 20);
    assert.equal(roundsFor(gate, clock, 5_000, 10, 503), 20);
    round(gate, clock, 10, 500);
    assert.equal(gate.stats().limit, 18, 'a flight of failures backs off once: 20 × 0.9');
    round(gate, clock, 10, 504);
    assert.equal(gate.stats().limit, 16);
  });

  it('sheds on event loop lag before taking a permit, with the stall as Retry-After', () => {
    const { gate, clock } = create();
    keepUp(gate, clock, 50);
    lateTurns(gate, clock, 3);
    clock.advance(TICK_MS + 10);
    admitted(gate).finish(200);
    clock.advance(25);
    const refused = gate.admit();
    assert.equal(refused.admitted, false);
    if (refused.admitted) return;
    assert.equal(refused.guard, 'loop_lag');
    assert.equal(refused.error.code, 'ERR_ADMISSION_OVERLOADED');
    assert.equal(refused.error.retryAfterMs, 35);
    assert.match(refused.error.message, /35 ms behind on the requests it has received/);
    assert.deepEqual(withoutTenants(gate), {
      limit: 10,
      inflight: 0,
      refused: { concurrency: 0, loop_lag: 1, tenant_share: 0 },
      loopStallMs: 35,
      loopBehind: true,
    });
  });

  it('admits without the limit when asked (remote-only routes): no permit taken, nothing learnt, but the loop lag guard still sheds', () => {
    const { gate, clock } = create({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const held = admitted(gate);
    assert.equal(gate.admit().admitted, false, 'the limit is reached');
    for (let request = 0; request < 5; request += 1) {
      const verdict = gate.admitWithoutLimit();
      assert.ok(verdict.admitted);
      verdict.ticket.finish(500);
    }
    assert.deepEqual(withoutTenants(gate), {
      limit: 1,
      inflight: 1,
      refused: { concurrency: 1, loop_lag: 0, tenant_share: 0 },
      loopStallMs: 0,
      loopBehind: false,
    });
    held.finish(200);
    keepUp(gate, clock, 50);
    for (let turn = 0; turn < 3; turn += 1) {
      clock.advance(TICK_MS);
      assert.ok(gate.admitWithoutLimit().admitted);
      assert.ok(gate.admitWithoutLimit().admitted);
      clock.advance(60);
      gate.loopTurned();
    }
    clock.advance(TICK_MS + 10);
    assert.ok(gate.admitWithoutLimit().admitted, 'the first request of a turn');
    clock.advance(25);
    const refused = gate.admitWithoutLimit();
    assert.equal(refused.admitted, false);
    if (refused.admitted) return;
    assert.equal(refused.guard, 'loop_lag');
    assert.equal(refused.error.retryAfterMs, 35);
  });

  it('without a loop lag guard, late turns never refuse and no probe is asked for', () => {
    const { gate, clock } = create({ loopLag: false });
    assert.equal(gate.probeTickMs, undefined);
    lateTurns(gate, clock, 5);
    clock.advance(TICK_MS + 50);
    admitted(gate).finish(200);
    admitted(gate).finish(200);
    assert.deepEqual(gate.stats().refused, { concurrency: 0, loop_lag: 0, tenant_share: 0 });
    assert.equal(gate.stats().loopBehind, false);
  });

  it('frees the slot of a request whose client went away, and counts each ticket once', () => {
    const { gate } = create({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const ticket = admitted(gate);
    assert.equal(gate.admit().admitted, false);
    ticket.abandon();
    ticket.finish(500);
    assert.equal(gate.stats().inflight, 0);
    const next = admitted(gate);
    next.finish(200);
    next.finish(200);
    assert.equal(gate.stats().inflight, 0);
  });
});

describe('AdmissionGate with tenants', () => {
  const flood = { name: 'flood', weight: 1 };
  const light = { name: 'light', weight: 1 };
  const heavy = { name: 'heavy', weight: 3 };

  function admit(gate: AdmissionGate, tenant: { name: string; weight: number }): AdmissionTicket {
    const verdict = gate.admit(tenant);
    assert.ok(verdict.admitted, `${tenant.name} refused: ${verdict.admitted ? '' : verdict.guard}`);
    return verdict.ticket;
  }

  it('a tenant alone may take the whole limit', () => {
    const { gate } = create({ initialLimit: 8, minLimit: 8, maxLimit: 8 });
    for (let request = 0; request < 8; request += 1) admit(gate, flood);
    const refused = gate.admit(flood);
    assert.ok(!refused.admitted && refused.guard === 'concurrency');
  });

  it('while another tenant is active, a flooding tenant stops at its weighted share and the other still gets permits', () => {
    const { gate } = create({ initialLimit: 8, minLimit: 8, maxLimit: 8 });
    admit(gate, light).finish(200);
    for (let request = 0; request < 4; request += 1) admit(gate, flood);
    const refused = gate.admit(flood);
    assert.equal(refused.admitted, false);
    if (refused.admitted) return;
    assert.equal(refused.guard, 'tenant_share');
    assert.equal(refused.error.status, 429);
    assert.match(
      refused.error.message,
      /tenant "flood" holds its share of the server's limit of 8 concurrent inference requests while other tenants are active/,
    );
    for (let request = 0; request < 4; request += 1) admit(gate, light);
    const { tenants } = gate.stats();
    assert.deepEqual(
      [tenants['light']?.inflight, tenants['light']?.share, tenants['flood']?.inflight, tenants['flood']?.share],
      [4, 4, 4, 4],
    );
    assert.deepEqual(gate.stats().refused, { concurrency: 0, loop_lag: 0, tenant_share: 1 });
  });

  it('shares follow the weights', () => {
    const { gate } = create({ initialLimit: 8, minLimit: 8, maxLimit: 8 });
    admit(gate, light).finish(200);
    for (let request = 0; request < 6; request += 1) admit(gate, heavy);
    assert.equal(gate.admit(heavy).admitted, false, 'heavy holds 3/4 of 8');
    admit(gate, light);
    admit(gate, light);
    assert.ok(!gate.admit(light).admitted, 'the limit is reached');
  });

  it('a tenant quiet for longer than a second stops counting, and the other may take the whole limit again', () => {
    const { gate, clock } = create({ initialLimit: 8, minLimit: 8, maxLimit: 8 });
    admit(gate, light).finish(200);
    const held = Array.from({ length: 4 }, () => admit(gate, flood));
    assert.equal(gate.admit(flood).admitted, false);
    clock.advance(1_001);
    for (let request = 0; request < 4; request += 1) admit(gate, flood);
    assert.equal(gate.stats().tenants['light']?.active, false);
    for (const ticket of held) ticket.finish(200);
  });

  it("the loop lag guard sheds the flooding tenant, not a light one (its rate, measured over a window, is a sixth of the flood's)", () => {
    const { gate, clock } = create({ initialLimit: 100, minLimit: 100, maxLimit: 100 });
    keepUp(gate, clock, 50);
    admit(gate, light).finish(200);
    for (let turn = 0; turn < 3; turn += 1) {
      clock.advance(TICK_MS);
      admit(gate, flood);
      admit(gate, flood);
      clock.advance(60);
      gate.loopTurned();
    }
    clock.advance(TICK_MS + 10);
    admit(gate, flood);
    clock.advance(25);
    const shed = gate.admit(flood);
    assert.ok(!shed.admitted && shed.guard === 'loop_lag', 'the flood is shed 35 ms into a late turn');
    admit(gate, light).finish(200);
  });
});

describe('permitOutcome', () => {
  it('maps a response status to what it says about load', () => {
    assert.deepEqual(permitOutcome(200, 12), { rttMs: 12 });
    assert.deepEqual(permitOutcome(304, 3), { rttMs: 3 });
    assert.equal(permitOutcome(400, 1), 'ignore');
    assert.equal(permitOutcome(429, 1), 'ignore');
    assert.equal(permitOutcome(503, 1), 'ignore');
    assert.equal(permitOutcome(500, 1), 'dropped');
    assert.equal(permitOutcome(504, 1), 'dropped');
  });
});
