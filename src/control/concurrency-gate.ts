/**
 * How many batches may execute at once. The batcher asks for a permit before launching
 * a batch and returns it with the batch's inference time, or 'dropped' when the batch
 * failed, so an adaptive limit (`src/control/adaptive-limit.ts`, which has this very
 * shape) can learn from it. A fixed gate stands in when no limit is given.
 *
 * The batcher only asks again when one of its batches finishes or `wake()` is called:
 * whoever owns a shared or adaptive gate calls `wake()` when capacity grows.
 */

/** The outcome a permit is returned with (the shape of `PermitOutcome` in src/control). */
export type GateOutcome = { readonly rttMs: number } | 'dropped' | 'ignore';

export interface GatePermit {
  /** Returns the slot; only the first call counts. */
  release(outcome: GateOutcome): void;
}

export interface ConcurrencyGate {
  /** A permit, or undefined when the gate is at its limit. */
  tryAcquire(): GatePermit | undefined;
  /** The current limit, when the gate knows one; used for stats and predictions. */
  readonly limit?: number;
}

/** A constant number of slots. */
export class FixedGate implements ConcurrencyGate {
  private inflight = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`slots must be an integer ≥ 1, got ${limit}`);
  }

  tryAcquire(): GatePermit | undefined {
    if (this.inflight >= this.limit) return undefined;
    this.inflight += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inflight -= 1;
      },
    };
  }
}
