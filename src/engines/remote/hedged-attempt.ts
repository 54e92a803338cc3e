/**
 * One round of a remote call: an attempt on the chosen replica and, for a non-streaming
 * call that is slower than the recent p95, a hedge ("The Tail at Scale") — a copy sent to
 * another replica. The first attempt to deliver response headers that are not a 5xx wins;
 * the other is cancelled through its own AbortController. Without a hedge delay the round
 * is simply the one attempt.
 *
 *   first ─────────────────────────────┬─► answer ─► wins; the hedge (if any) is cancelled
 *   timer(afterMs) ─► shouldHedge? ─► pickOther ─► hedge ─► answer ─► wins; first cancelled
 *   every attempt failed ─► their failures, for the failover loop around the round
 *
 * An attempt that is cancelled settles itself as "not failed" (see `RemoteBackend`); a
 * loser whose headers arrive after the race is over has its body discarded here.
 */
import { performance } from 'node:perf_hooks';
import type { SluiceError } from '../../core/errors.ts';
import type { ReplicaChoice } from './balancer.ts';
import { discardBody } from './upstream-errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

export interface FailedAttempt {
  readonly failure: SluiceError;
  readonly retryable: boolean;
}

export type AttemptResult = { readonly response: UpstreamResponse } | FailedAttempt;

/** Runs one attempt on `choice`; aborting `cancel` abandons it. Rejects only when the client has gone. */
export type StartAttempt<C extends ReplicaChoice = ReplicaChoice> = (
  choice: C,
  cancel: AbortSignal,
) => Promise<AttemptResult>;

export interface HedgePlan<C extends ReplicaChoice = ReplicaChoice> {
  /** How long the first attempt may go without headers before a hedge; undefined: never hedge. */
  readonly afterMs: number | undefined;
  /** Asked once the delay is over; a yes spends hedge budget. */
  shouldHedge(elapsedMs: number): boolean;
  /** Another replica for the hedge (not one already tried), or undefined when none can take it. */
  pickOther(): C | undefined;
  onHedgeSent(): void;
  onHedgeWon(): void;
}

export interface RoundOutcome {
  readonly response: UpstreamResponse | undefined;
  /** The attempts that failed, in the order they ended (cancelled losers are not failures). */
  readonly failures: readonly FailedAttempt[];
}

interface Runner {
  readonly hedge: boolean;
  readonly cancel: AbortController;
}

/** Runs the round; `onLaunch` hears of every replica an attempt went to. */
export function runRound<C extends ReplicaChoice>(
  first: C,
  start: StartAttempt<C>,
  plan: HedgePlan<C>,
  onLaunch: (index: number) => void,
): Promise<RoundOutcome> {
  return new Promise((resolve, reject) => new HedgeRace(start, plan, onLaunch, resolve, reject).begin(first));
}

class HedgeRace<C extends ReplicaChoice> {
  private readonly running = new Set<Runner>();
  private readonly failures: FailedAttempt[] = [];
  private over = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly start: StartAttempt<C>,
    private readonly plan: HedgePlan<C>,
    private readonly onLaunch: (index: number) => void,
    private readonly resolve: (outcome: RoundOutcome) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  begin(first: C): void {
    const startedAt = performance.now();
    this.launch(first, false);
    const afterMs = this.plan.afterMs;
    if (afterMs === undefined) return;
    // Timers run on whole, loop-cached milliseconds and may fire a little before
    // `performance.now()` agrees the delay is over; the timer firing is what counts.
    this.timer = setTimeout(
      () => this.maybeHedge(Math.max(performance.now() - startedAt, afterMs)),
      Math.max(0, afterMs),
    );
  }

  private launch(choice: C, hedge: boolean): void {
    const runner: Runner = { hedge, cancel: new AbortController() };
    this.running.add(runner);
    this.onLaunch(choice.index);
    this.start(choice, runner.cancel.signal).then(
      (result) => this.onResult(runner, result),
      (error: unknown) => this.onClientGone(runner, error),
    );
  }

  private maybeHedge(elapsedMs: number): void {
    this.timer = undefined;
    // The budget is asked before a replica is picked: a pick holds a breaker ticket.
    if (this.over || !this.plan.shouldHedge(elapsedMs)) return;
    const other = this.plan.pickOther();
    if (other === undefined) return;
    this.plan.onHedgeSent();
    this.launch(other, true);
  }

  private onResult(runner: Runner, result: AttemptResult): void {
    this.running.delete(runner);
    if (this.over) return abandon(result);
    if ('response' in result) {
      if (runner.hedge) this.plan.onHedgeWon();
      this.finish();
      return this.resolve({ response: result.response, failures: this.failures });
    }
    this.failures.push(result);
    if (this.running.size > 0) return; // the other attempt may still win
    this.finish();
    this.resolve({ response: undefined, failures: this.failures });
  }

  private onClientGone(runner: Runner, error: unknown): void {
    this.running.delete(runner);
    if (this.over) return;
    this.finish();
    this.reject(error);
  }

  /** Stops the hedge timer and cancels whatever still runs: it lost. */
  private finish(): void {
    this.over = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const runner of this.running) runner.cancel.abort();
  }
}

/** A loser that answered anyway: its body is not wanted, and answering is no failure. */
function abandon(result: AttemptResult): void {
  if (!('response' in result)) return;
  discardBody(result.response.body);
  result.response.settle(true);
}
