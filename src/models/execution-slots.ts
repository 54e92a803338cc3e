/**
 * Batches executing at once across every model of the process. The event loop that
 * parses HTTP needs a core of its own: on two cores, a second instance computing beside
 * it cut the requests served from 3.7k to 0.9k a second (docs/benchmarks.md), and the
 * batch latency each model's adaptive limit watches never showed it. So the process holds
 * `cores - 1` slots (at least one), and a model's batch starts only with one of them.
 *
 * A slot freed by one model may be what another is waiting for, so every release wakes
 * every model that asked for a slot and was refused.
 */
import { availableParallelism } from 'node:os';

export interface ExecutionSlot {
  /** Returns the slot; only the first call counts. */
  release(): void;
}

export class ExecutionSlots {
  private busy = 0;
  private readonly waiting = new Set<() => void>();

  constructor(readonly limit: number = defaultExecutionSlots()) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`execution slots must be an integer ≥ 1, got ${limit}`);
  }

  /** A slot, or undefined when all are busy; `wake` is then called once one frees. */
  tryAcquire(wake: () => void): ExecutionSlot | undefined {
    if (this.busy >= this.limit) {
      this.waiting.add(wake);
      return undefined;
    }
    this.busy += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.busy -= 1;
        const waiting = [...this.waiting];
        this.waiting.clear();
        for (const wakeUp of waiting) wakeUp();
      },
    };
  }

  get inUse(): number {
    return this.busy;
  }
}

export function defaultExecutionSlots(): number {
  return Math.max(1, availableParallelism() - 1);
}
