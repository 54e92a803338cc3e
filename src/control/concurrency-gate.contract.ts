/**
 * What every `ConcurrencyGate` promises, as one suite each implementation runs
 * (`concurrency-gate.contract.test.ts`): a permit exactly while fewer than `limit` are out,
 * a returned permit frees its slot, and only a permit's first release counts.
 *
 * The suite needs gates that report their `limit` (every one we have does). A gate may
 * move its limit on the outcomes it is given; the suite reads it before each request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../core/seeded-rng.ts';
import type { ConcurrencyGate, GateOutcome, GatePermit } from './concurrency-gate.ts';

export type NewGate = () => ConcurrencyGate | Promise<ConcurrencyGate>;

export function runConcurrencyGateContract(name: string, newGate: NewGate): void {
  describe(`${name} keeps the ConcurrencyGate contract`, () => {
    it('reports a whole limit of at least one, and grants exactly that many permits from idle', async () => {
      const gate = await newGate();
      const limit = limitOf(gate);
      assert.ok(Number.isInteger(limit) && limit >= 1, `limit ${limit}`);
      const permits = acquireAll(gate);
      assert.equal(permits.length, limit);
      assert.equal(gate.tryAcquire(), undefined, 'asking again at the limit');
      assert.equal(gate.limit, limit, 'refusals do not move the limit');
    });

    it("frees a slot when a permit comes back with nothing measured ('ignore')", async () => {
      const gate = await newGate();
      const permits = acquireAll(gate);
      permits[0]?.release('ignore');
      assert.ok(gate.tryAcquire() !== undefined, 'the returned slot is granted again');
      assert.equal(gate.tryAcquire(), undefined);
    });

    it('counts only the first release of a permit: a second one frees nothing and moves no limit', async () => {
      const gate = await newGate();
      const permits = acquireAll(gate);
      const limit = limitOf(gate);
      permits[0]?.release('ignore');
      permits[0]?.release('dropped');
      permits[0]?.release({ rttMs: 1 });
      assert.equal(gate.limit, limit);
      assert.ok(gate.tryAcquire() !== undefined);
      assert.equal(gate.tryAcquire(), undefined, 'one release, one slot');
    });

    it('grants a permit exactly while fewer than its limit are out, through any run of outcomes', async () => {
      const gate = await newGate();
      const rng = createRng(23);
      const held: GatePermit[] = [];
      for (let step = 0; step < 400; step += 1) {
        if (held.length > 0 && rng.chance(0.45)) {
          const [permit] = held.splice(rng.int(held.length), 1);
          permit?.release(outcome(rng.next()));
          if (rng.chance(0.2)) permit?.release(outcome(rng.next()));
          continue;
        }
        const limit = limitOf(gate);
        const permit = gate.tryAcquire();
        assert.equal(permit !== undefined, held.length < limit, `step ${step}: ${held.length} out, limit ${limit}`);
        if (permit !== undefined) held.push(permit);
      }
      held.forEach((permit) => permit.release('ignore'));
      assert.equal(acquireAll(gate).length, limitOf(gate), 'every slot is free again');
    });
  });
}

function limitOf(gate: ConcurrencyGate): number {
  assert.ok(gate.limit !== undefined, 'this suite needs a gate that reports its limit');
  return gate.limit;
}

/** Permits until the gate refuses; bounded, so a gate that never refuses fails instead of hanging. */
function acquireAll(gate: ConcurrencyGate): GatePermit[] {
  const permits: GatePermit[] = [];
  for (let permit = gate.tryAcquire(); permit !== undefined; permit = gate.tryAcquire()) {
    permits.push(permit);
    assert.ok(permits.length <= 1000, 'the gate never refused');
  }
  return permits;
}

/** Mostly latencies, some drops and ignored outcomes. */
function outcome(draw: number): GateOutcome {
  if (draw < 0.15) return 'dropped';
  if (draw < 0.3) return 'ignore';
  return { rttMs: Math.round(draw * 40) };
}
