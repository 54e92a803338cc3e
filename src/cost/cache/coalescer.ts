/**
 * One run for identical requests: in this process through Flights, across processes
 * through the store's flight markers. A caller that finds another process computing the
 * same thing waits for it to land (at most the hold, or its own deadline) and reads the
 * answer from the cache; when nothing is there (the run failed, or it could not be stored)
 * it runs the model itself.
 */
import { performance } from 'node:perf_hooks';
import { SluiceError } from '../../core/errors.ts';
import type { Answer, Dispatch } from '../../pipeline/target.ts';
import type { CacheMetrics } from './cache-metrics.ts';
import type { CacheStore } from './cache-store.ts';
import { CallerLeft, Flights } from './flights.ts';
import { dispatchWith } from '../../pipeline/target.ts';

export interface SharedRun {
  readonly flightKey: string;
  readonly model: string;
  /** Runs the model and stores what can be stored, before the flight ends. */
  readonly compute: (dispatch: Dispatch) => Promise<Answer>;
  /** Once another process's run has landed: its answer read from the cache, or undefined. */
  readonly reread: () => Promise<Answer | undefined>;
}

export class Coalescer {
  private readonly flights = new Flights<Answer>();

  constructor(
    private readonly store: CacheStore,
    private readonly metrics: CacheMetrics,
    /** How long a run may hold its flight marker: after it, another process runs its own. */
    private readonly holdMs: number,
  ) {}

  async run(shared: SharedRun, dispatch: Dispatch): Promise<Answer> {
    const waiter = { signal: dispatch.signal, deadlineMs: dispatch.ticket.deadlineMs };
    const { leader, result } = this.flights.join(shared.flightKey, waiter, (signal) =>
      this.acrossProcesses(shared, dispatchWith(dispatch, { signal })),
    );
    if (!leader) this.metrics.coalesced.inc({ model: shared.model });
    try {
      const answer = await result;
      return leader ? answer : { ...answer, provenance: { ...answer.provenance, route: 'coalesced' } };
    } catch (error) {
      // The shared run carried the first caller's ticket: when its deadline ended the run, a caller with time left runs its own.
      if (!leader && !(error instanceof CallerLeft) && isDeadline(error) && timeLeft(waiter.deadlineMs) > 0) {
        return shared.compute(dispatch);
      }
      throw error;
    }
  }

  private async acrossProcesses(shared: SharedRun, dispatch: Dispatch): Promise<Answer> {
    const { flightKey } = shared;
    if (await this.store.acquire(flightKey, this.holdMs)) {
      try {
        return await shared.compute(dispatch);
      } finally {
        await this.store.release(flightKey);
      }
    }
    const wait = Math.min(this.holdMs, timeLeft(dispatch.ticket.deadlineMs));
    if (await this.store.landed(flightKey, wait)) {
      const answer = await shared.reread();
      if (answer !== undefined) {
        this.metrics.coalesced.inc({ model: shared.model });
        return answer;
      }
    }
    return shared.compute(dispatch);
  }
}

function isDeadline(error: unknown): boolean {
  return error instanceof SluiceError && error.code === 'ERR_DEADLINE_EXCEEDED';
}

function timeLeft(deadlineMs: number | undefined): number {
  return deadlineMs === undefined ? Number.POSITIVE_INFINITY : deadlineMs - performance.now();
}
