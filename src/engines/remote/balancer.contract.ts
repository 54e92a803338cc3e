/**
 * What every `Balancer` promises, as one suite each implementation runs
 * (`balancer.contract.test.ts`), after hono's `runTest({ newRouter })`.
 *
 * The factory must be deterministic: two balancers it makes for the same weights, given the
 * same calls, pick the same replicas (fix the random source and hold the clock still).
 * Outcomes here are successes only: what failures do (ejection, breakers) differs by design.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import type { AttemptOutcome, Balancer, ReplicaChoice } from './balancer.ts';

export type NewBalancer = (weights: readonly number[]) => Balancer;

const OK: AttemptOutcome = { ok: true, latencyMs: 20 };

export function runBalancerContract(name: string, newBalancer: NewBalancer): void {
  describe(`${name} keeps the Balancer contract`, () => {
    it('refuses to start with no replica or with a weight that is not a positive number', () => {
      for (const weights of [[], [1, 0], [0], [1, -2], [1, Number.NaN]]) {
        assert.throws(() => newBalancer(weights), RangeError, `weights [${weights.join(', ')}]`);
      }
    });

    it('picks only replicas it has, with attempts answered or still in flight', () => {
      const balancer = newBalancer([1, 2, 1]);
      const inFlight: ReplicaChoice[] = [];
      for (let attempt = 0; attempt < 60; attempt += 1) {
        const choice = pickOrFail(balancer);
        assert.ok(Number.isInteger(choice.index) && choice.index >= 0 && choice.index < 3, `index ${choice.index}`);
        if (attempt % 3 === 0) inFlight.push(choice);
        else choice.done(OK);
      }
      inFlight.forEach((choice) => choice.done(OK));
    });

    it('never picks an excluded replica, whichever are excluded', () => {
      const weights = [1, 3, 1, 2, 1];
      const balancer = newBalancer(weights);
      const rng = createRng(11);
      for (let attempt = 0; attempt < 500; attempt += 1) {
        const exclude = new Set(weights.map((_, index) => index).filter(() => rng.chance(0.5)));
        if (exclude.size === weights.length) exclude.delete(rng.int(weights.length));
        const choice = pickOrFail(balancer, exclude);
        assert.ok(!exclude.has(choice.index), `picked ${choice.index} with [${[...exclude]}] excluded`);
        choice.done(OK);
      }
    });

    it('picks the one replica left when all others are excluded, and undefined when none is left', () => {
      const balancer = newBalancer([5, 1, 5]);
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const choice = pickOrFail(balancer, new Set([0, 2]));
        assert.equal(choice.index, 1);
        choice.done(OK);
      }
      assert.equal(balancer.pick(new Set([0, 1, 2])), undefined);
      assert.equal(newBalancer([1]).pick(new Set([0])), undefined);
      pickOrFail(balancer).done(OK);
    });

    for (const weights of [
      [1, 1],
      [1, 2, 3],
      [2, 3],
      [1, 1.5, 0.25],
    ]) {
      it(`shares traffic by weight among replicas that answer alike: [${weights.join(', ')}]`, () => {
        const balancer = newBalancer(weights);
        // Each replica answers once first, so no load-aware balancer still holds a prior for any of them.
        weights.forEach((_, index) => pickOrFail(balancer, othersThan(index, weights.length)).done(OK));
        const picks = 6000;
        const counts = weights.map(() => 0);
        for (let attempt = 0; attempt < picks; attempt += 1) {
          const choice = pickOrFail(balancer);
          counts[choice.index] = (counts[choice.index] ?? 0) + 1;
          choice.done(OK);
        }
        const total = weights.reduce((sum, weight) => sum + weight, 0);
        weights.forEach((weight, index) => {
          const share = (counts[index] ?? 0) / picks;
          const expected = weight / total;
          assert.ok(
            Math.abs(share - expected) <= 0.03,
            `replica ${index}: ${share.toFixed(3)} of picks, weight share ${expected.toFixed(3)} (counts ${counts.join('/')})`,
          );
        });
      });
    }

    it('counts only the first done of a choice: a second one, whatever it says, changes no later pick', () => {
      const once = script(newBalancer([1, 2, 1, 1]), () => {});
      const twice = script(newBalancer([1, 2, 1, 1]), (choice) => choice.done({ ok: false, latencyMs: 60_000 }));
      assert.deepEqual(twice, once);
    });
  });
}

function pickOrFail(balancer: Balancer, exclude?: ReadonlySet<number>): ReplicaChoice {
  const choice = balancer.pick(exclude);
  assert.ok(choice !== undefined, `no pick with [${[...(exclude ?? [])]}] excluded`);
  return choice;
}

function othersThan(index: number, count: number): Set<number> {
  return new Set(Array.from({ length: count }, (_, other) => other).filter((other) => other !== index));
}

/**
 * A fixed run of picks with up to three attempts in flight and latencies that differ by
 * replica, so a load-aware balancer's picks depend on every outcome it counted. `again` is
 * called right after each choice's first `done`. Returns the picked indices.
 */
function script(balancer: Balancer, again: (choice: ReplicaChoice) => void): number[] {
  const picked: number[] = [];
  const inFlight: ReplicaChoice[] = [];
  const finish = (choice: ReplicaChoice): void => {
    choice.done({ ok: true, latencyMs: 5 + 15 * choice.index });
    again(choice);
  };
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const choice = pickOrFail(balancer, attempt % 5 === 0 ? new Set([attempt % 4]) : undefined);
    picked.push(choice.index);
    inFlight.push(choice);
    if (inFlight.length > 3) finish(inFlight.shift() as ReplicaChoice);
  }
  inFlight.forEach(finish);
  return picked;
}
