/**
 * Singleflight: identical requests in flight at once share one run. Each caller waits with
 * its own deadline and abort signal and leaves alone when either comes; the run's own
 * signal aborts only once every caller has left, so one caller giving up never cancels
 * the answer the others wait for.
 */
import { performance } from 'node:perf_hooks';
import { SluiceError } from '../../core/errors.ts';

export interface Waiter {
  readonly signal: AbortSignal | undefined;
  /** On `performance.now()`'s scale (the ticket's); undefined: no deadline. */
  readonly deadlineMs: number | undefined;
}

/** This caller's own deadline or abort ended its wait (not the shared run's failure). */
export class CallerLeft extends SluiceError {}

interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiting: number;
  settled: boolean;
}

export class Flights<T> {
  private readonly inFlight = new Map<string, Flight<T>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Runs in flight now (tests). */
  get size(): number {
    return this.inFlight.size;
  }

  /** The key's run, started by this caller when none is in flight; `leader` says which. */
  join(
    key: string,
    waiter: Waiter,
    start: (signal: AbortSignal) => Promise<T>,
  ): { leader: boolean; result: Promise<T> } {
    let flight = this.inFlight.get(key);
    const leader = flight === undefined;
    if (flight === undefined) {
      const controller = new AbortController();
      const created: Flight<T> = { promise: start(controller.signal), controller, waiting: 0, settled: false };
      const settle = () => {
        created.settled = true;
        if (this.inFlight.get(key) === created) this.inFlight.delete(key);
      };
      created.promise.then(settle, settle);
      this.inFlight.set(key, (flight = created));
    }
    return { leader, result: this.wait(flight, waiter) };
  }

  private wait(flight: Flight<T>, waiter: Waiter): Promise<T> {
    flight.waiting++;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        waiter.signal?.removeEventListener('abort', onAbort);
        flight.waiting--;
        return true;
      };
      const leave = (reason: CallerLeft) => {
        if (!finish()) return;
        if (flight.waiting === 0 && !flight.settled) flight.controller.abort(reason);
        reject(reason);
      };
      const onAbort = () =>
        leave(new CallerLeft('ERR_DEADLINE_EXCEEDED', 'the client left before the answer was ready'));
      if (waiter.deadlineMs !== undefined) {
        const message = "the request's deadline passed while it waited for an identical request's answer";
        timer = setTimeout(
          () => leave(new CallerLeft('ERR_DEADLINE_EXCEEDED', message)),
          waiter.deadlineMs - this.now(),
        );
      }
      if (waiter.signal?.aborted === true) onAbort();
      else waiter.signal?.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => finish() && resolve(value),
        (error: unknown) => finish() && reject(error),
      );
    });
  }
}
