import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import type { ProbeResult } from './resilience/active-health.ts';
import { HealthProber, type ScheduleTimer } from './health-prober.ts';

function fakeTimers(clock: FakeClock): ScheduleTimer {
  return (fn, ms) => {
    const handle = clock.setTimer(fn, ms);
    return () => clock.clearTimer(handle);
  };
}

/** Lets the probes' promises settle, as the event loop would between two timer ticks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Harness {
  readonly clock: FakeClock;
  readonly prober: HealthProber;
  readonly results: Array<[number, ProbeResult]>;
  /** Probe calls, and the signal each got. */
  readonly calls: Array<{ index: number; signal: AbortSignal; answer(result: ProbeResult): void }>;
}

function harness(replicas = 2, random = () => 0): Harness {
  const clock = new FakeClock();
  const results: Array<[number, ProbeResult]> = [];
  const calls: Harness['calls'] = [];
  const prober = new HealthProber({
    replicas,
    intervalMs: 1_000,
    schedule: fakeTimers(clock),
    random,
    probe: (index, signal) => new Promise((resolve) => calls.push({ index, signal, answer: resolve })),
    onResult: (index, result) => results.push([index, result]),
  });
  return { clock, prober, results, calls };
}

describe('HealthProber', () => {
  it('probes every replica once per interval, the first round one interval after start', async () => {
    const { clock, prober, results, calls } = harness();
    prober.start();
    clock.advance(999);
    assert.equal(calls.length, 0, 'replicas start healthy: no probe at once');
    clock.advance(1);
    assert.deepEqual(
      calls.map((call) => call.index),
      [0, 1],
    );
    for (const call of calls) call.answer({ ok: call.index === 0 });
    await settle();
    assert.deepEqual(results, [
      [0, { ok: true }],
      [1, { ok: false }],
    ]);
    assert.equal(prober.completedRounds, 1);
    clock.advance(1_000);
    assert.equal(calls.length, 4);
  });

  it('waits for a slow probe before arming the next round', async () => {
    const { clock, prober, calls } = harness(1);
    prober.start();
    clock.advance(1_000);
    clock.advance(10_000);
    assert.equal(calls.length, 1, 'no second probe while the first is unanswered');
    calls[0]?.answer({ ok: true });
    await settle();
    clock.advance(1_000);
    assert.equal(calls.length, 2);
  });

  it('adds up to 10% jitter to the interval', () => {
    const { clock, prober, calls } = harness(1, () => 0.5);
    prober.start();
    clock.advance(1_049);
    assert.equal(calls.length, 0);
    clock.advance(1);
    assert.equal(calls.length, 1);
  });

  it('stops: the timer is cleared, probes in flight are aborted and their results dropped', async () => {
    const { clock, prober, results, calls } = harness(1);
    prober.start();
    clock.advance(1_000);
    prober.stop();
    assert.equal(calls[0]?.signal.aborted, true);
    calls[0]?.answer({ ok: false });
    await settle();
    assert.deepEqual(results, []);
    assert.equal(clock.pendingTimers, 0);
    clock.advance(10_000);
    assert.equal(calls.length, 1);
    prober.start();
    assert.equal(clock.pendingTimers, 0, 'a stopped prober stays stopped');
  });

  it('turns a probe that throws into a failed result', async () => {
    const clock = new FakeClock();
    const results: ProbeResult[] = [];
    const prober = new HealthProber({
      replicas: 1,
      intervalMs: 100,
      schedule: fakeTimers(clock),
      random: () => 0,
      probe: () => Promise.reject(new Error('boom')),
      onResult: (_index, result) => results.push(result),
    });
    prober.start();
    clock.advance(100);
    await settle();
    assert.deepEqual(results, [{ ok: false, detail: 'boom' }]);
    prober.stop();
  });
});
