import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { ActiveHealth, type HealthChange } from './active-health.ts';

const PASS = { ok: true };
const FAIL = { ok: false, detail: 'answered 500' };

function probes(health: ActiveHealth, index: number, results: readonly boolean[]): Array<HealthChange | undefined> {
  return results.map((ok) => health.record(index, ok ? PASS : FAIL));
}

describe('ActiveHealth', () => {
  it('starts healthy and goes unhealthy only after the threshold of failures in a row', () => {
    const clock = new FakeClock();
    const health = new ActiveHealth(2, clock, { unhealthyThreshold: 3, healthyThreshold: 2 });
    assert.equal(health.isHealthy(0), true);
    assert.deepEqual(
      probes(health, 0, [false, false, true, false, false]),
      [undefined, undefined, undefined, undefined, undefined],
      'a pass in between resets the run',
    );
    assert.equal(health.isHealthy(0), true);
    clock.advance(500);
    assert.equal(health.record(0, FAIL), 'became-unhealthy');
    assert.equal(health.isHealthy(0), false);
    assert.equal(health.isHealthy(1), true, 'replicas are judged apart');
    const stats = health.stats(0);
    assert.equal(stats?.lastFailure, 'answered 500');
    assert.equal(stats?.changedAtMs, 500);
    assert.equal(stats?.timesUnhealthy, 1);
    assert.equal(stats?.failedProbes, 5);
    assert.equal(stats?.probes, 6);
  });

  it('comes back only after the threshold of passes in a row', () => {
    const clock = new FakeClock();
    const health = new ActiveHealth(1, clock, { unhealthyThreshold: 1, healthyThreshold: 3 });
    assert.equal(health.record(0, FAIL), 'became-unhealthy');
    assert.deepEqual(
      probes(health, 0, [true, true, false, true, true]),
      [undefined, undefined, undefined, undefined, undefined],
      'a failure in between resets the run',
    );
    assert.equal(health.isHealthy(0), false);
    assert.equal(health.record(0, PASS), 'became-healthy');
    assert.equal(health.isHealthy(0), true);
    assert.equal(health.stats(0)?.lastFailure, undefined, 'the last failure is forgotten once it passes');
  });

  it('reports each change once, and further failures of an unhealthy replica change nothing', () => {
    const health = new ActiveHealth(1, new FakeClock(), { unhealthyThreshold: 2, healthyThreshold: 1 });
    assert.deepEqual(probes(health, 0, [false, false, false, false, true, true, false, false]), [
      undefined,
      'became-unhealthy',
      undefined,
      undefined,
      'became-healthy',
      undefined,
      undefined,
      'became-unhealthy',
    ]);
    assert.equal(health.stats(0)?.timesUnhealthy, 2);
  });

  it('refuses thresholds below one and unknown replicas', () => {
    assert.throws(
      () => new ActiveHealth(1, new FakeClock(), { unhealthyThreshold: 0, healthyThreshold: 1 }),
      RangeError,
    );
    assert.throws(
      () => new ActiveHealth(0, new FakeClock(), { unhealthyThreshold: 1, healthyThreshold: 1 }),
      RangeError,
    );
    const health = new ActiveHealth(1, new FakeClock(), { unhealthyThreshold: 1, healthyThreshold: 1 });
    assert.equal(health.record(5, FAIL), undefined);
    assert.equal(health.isHealthy(5), false);
    assert.equal(health.stats(5), undefined);
  });
});
