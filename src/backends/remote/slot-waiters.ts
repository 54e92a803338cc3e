/**
 * Requests waiting for a slot when every live replica is at its concurrency limit. A
 * limit is reached in bursts as much as in overload (a Poisson arrival cluster, a GC
 * pause that leaves answers unread while requests keep coming), and refusing at once
 * would turn each burst into 429s at a fraction of the upstream's capacity. So a request
 * waits, first come first served, for a slot to free up — at most `maxWaitMs`, and only
 * while fewer than `maxWaiting` others wait — and is refused only when the limit holds
 * for that long, which is what an overloaded upstream looks like.
 *
 *   release(permit) ─► wakeOne() ─► the oldest waiter picks again (it may lose the slot
 *                                    to a new request: then it waits again, within its time)
 */

export interface SlotWaitOptions {
  /** The longest a request waits in all; 0 turns waiting off. */
  readonly maxWaitMs: number;
  /** Requests that may wait at once; the next one is refused at once. */
  readonly maxWaiting: number;
}

type WakeReason = 'slot' | 'expired' | 'aborted';

interface Waiter {
  readonly wake: (reason: WakeReason) => void;
}

export interface SlotWaitStats {
  /** Requests waiting now. */
  readonly waiting: number;
  /** Waits that ended with a slot to try. */
  readonly woken: number;
  /** Waits that ran out of time: the request is refused. */
  readonly expired: number;
  /** Requests refused without waiting because `maxWaiting` others already were. */
  readonly refusedFull: number;
}

export class SlotWaiters {
  private readonly waiters: Waiter[] = [];
  private readonly counts = { woken: 0, expired: 0, refusedFull: 0 };

  constructor(private readonly options: SlotWaitOptions) {}

  /**
   * Resolves true when a slot may have freed up (pick again), false when the wait is
   * over (`untilMs` passed, the queue was full, or `signal` aborted).
   */
  wait(untilMs: number, signal: AbortSignal): Promise<boolean> {
    const waitMs = untilMs - performance.now();
    if (waitMs <= 0 || signal.aborted) return Promise.resolve(false);
    if (this.waiters.length >= this.options.maxWaiting) {
      this.counts.refusedFull += 1;
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: (reason) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.remove(waiter);
          if (reason !== 'aborted') this.counts[reason === 'slot' ? 'woken' : 'expired'] += 1;
          resolve(reason === 'slot');
        },
      };
      const onAbort = () => waiter.wake('aborted');
      const timer = setTimeout(() => waiter.wake('expired'), waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The deadline of a wait that starts now. */
  deadline(): number {
    return performance.now() + this.options.maxWaitMs;
  }

  /** A slot was released: the oldest waiter may take it. */
  wakeOne(): void {
    this.waiters[0]?.wake('slot');
  }

  stats(): SlotWaitStats {
    return { waiting: this.waiters.length, ...this.counts };
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
