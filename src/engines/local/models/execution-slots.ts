/**
 * Batches executing at once across every model of the process. The event loop that
 * parses HTTP needs a core of its own, and no model's batch latency shows the harm when
 * it does not get one. So:
 *
 *   worker (a thread per instance): (cores − 1) ÷ intra_op_threads slots, at least one
 *   main (batches run on the loop's own thread, never overlapping): one slot
 *
 * A model's batch starts only with one of them. A slot freed by one model may be what
 * another is waiting for, so every release wakes every model that asked and was refused.
 */
import { availableParallelism } from 'node:os';
import type { ExecutionMode } from './model-session.ts';

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

export interface SlotDefaults {
  readonly execution?: ExecutionMode;
  /** ONNX Runtime threads per session; 0 lets it take every core. */
  readonly intraOpThreads?: number;
}

export function defaultExecutionSlots({ execution = 'worker', intraOpThreads = 1 }: SlotDefaults = {}, cores = availableParallelism()): number {
  if (execution === 'main') return 1;
  const coresPerBatch = intraOpThreads > 0 ? intraOpThreads : cores;
  return Math.max(1, Math.floor((cores - 1) / coresPerBatch));
}
