import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { P2cPeakEwmaBalancer, type ReplicaGuard } from './p2c-balancer.ts';

function balancer(weights: number[], seed = 7, guard?: ReplicaGuard): { p2c: P2cPeakEwmaBalancer; clock: FakeClock } {
  const clock = new FakeClock();
  return { p2c: new P2cPeakEwmaBalancer({ weights, clock, random: createRng(seed).next, guard }), clock };
}

describe('P2cPeakEwmaBalancer', () => {
  it('sends a 10x slower replica less than 10% of the traffic', () => {
    const { p2c, clock } = balancer([1, 1, 1, 1]);
    const latency = [10, 10, 100, 10];
    const counts = [0, 0, 0, 0];
    for (let request = 0; request < 10_000; request += 1) {
      const choice = p2c.pick();
      assert.ok(choice !== undefined);
      counts[choice.index] = (counts[choice.index] ?? 0) + 1;
      clock.advance(1);
      choice.done({ ok: true, latencyMs: latency[choice.index] ?? 0 });
    }
    assert.ok((counts[2] ?? 0) < 1_000, `slow replica got ${counts[2]}`);
  });

  it('counts pending from pick to done, and pending raises load', () => {
    const { p2c } = balancer([1, 1]);
    const first = p2c.pick();
    assert.ok(first !== undefined);
    first.done({ ok: true, latencyMs: 20 });
    first.done({ ok: true, latencyMs: 9_999 });
    assert.equal(p2c.stats()[first.index]?.costMs, 20, 'only the first done counts');
    const held = [p2c.pick(), p2c.pick(), p2c.pick()];
    const pending = p2c.stats().reduce((sum, replica) => sum + replica.pending, 0);
    assert.equal(pending, 3);
    for (const choice of held) choice?.done({ ok: true, latencyMs: 20 });
    assert.deepEqual(
      p2c.stats().map((replica) => replica.pending),
      [0, 0],
    );
  });

  it('spreads requests across equal replicas as pending builds up', () => {
    const { p2c } = balancer([1, 1]);
    const counts = [0, 0];
    // Nothing answers: with equal costs, pending alone decides, so the split stays even.
    for (let request = 0; request < 100; request += 1) {
      const choice = p2c.pick();
      counts[choice?.index ?? 0] = (counts[choice?.index ?? 0] ?? 0) + 1;
    }
    assert.deepEqual(counts, [50, 50]);
  });

  it('weights bias the draw', () => {
    const { p2c } = balancer([1, 1, 8]);
    const counts = [0, 0, 0];
    for (let request = 0; request < 3_000; request += 1) {
      const choice = p2c.pick();
      counts[choice?.index ?? 0] = (counts[choice?.index ?? 0] ?? 0) + 1;
      choice?.done({ ok: true, latencyMs: 10 });
    }
    assert.ok((counts[2] ?? 0) > (counts[0] ?? 0) * 2, `weighted split ${counts.join('/')}`);
  });

  it('honours exclude and the guard, uses a lone eligible replica, and says undefined for none', () => {
    const blocked = new Set([1]);
    const reports: number[] = [];
    const guard: ReplicaGuard = {
      admits: (index) => !blocked.has(index),
      onPick: (index) => () => reports.push(index),
    };
    const { p2c } = balancer([1, 1, 1], 3, guard);
    for (let request = 0; request < 50; request += 1) {
      const choice = p2c.pick(new Set([0]));
      assert.equal(choice?.index, 2);
      choice?.done({ ok: false, latencyMs: 1 });
    }
    assert.equal(reports.length, 50);
    assert.equal(p2c.pick(new Set([0, 2])), undefined);
    assert.throws(() => new P2cPeakEwmaBalancer({ weights: [] }), RangeError);
    assert.throws(() => new P2cPeakEwmaBalancer({ weights: [1, 0] }), RangeError);
  });
});
