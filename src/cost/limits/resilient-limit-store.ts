/**
 * The shared limit store with its outage policy: while Redis fails, a request whose limits
 * are all `fail_open` is counted in this process's memory against `fail_open_share` of
 * each limit (its local allowance), and any `fail_closed` limit refuses it with 503
 * ERR_LIMITS_UNAVAILABLE. Failures are counted, logged once per outage, and never thrown
 * as anything else; a reservation settles in the store that took it.
 */
import { SluiceError } from '../../core/errors.ts';
import type { OutageLog } from '../cache/resilient-cache-store.ts';
import type { LimitOutageMode } from './limits-config.ts';
import type { CounterDelta, LimitStore, ReserveVerdict } from './limit-store.ts';
import { MemoryLimitStore } from './memory-limit-store.ts';
import type { PlannedCheck } from './limit-plan.ts';

export interface Reserved {
  readonly verdict: ReserveVerdict;
  /** Settles in the store that took the reservation; never rejects (a failure is counted). */
  settle(deltas: readonly CounterDelta[]): Promise<void>;
}

export interface OutageHooks {
  /** `reserve` or `settle` failed in the shared store. */
  onFailure(operation: 'reserve' | 'settle'): void;
  /** A request was counted in this process alone (fail_open). */
  onLocal(): void;
  readonly log: OutageLog;
}

/** While failing, readiness asks again in the background at most this often. */
const PROBE_MS = 1000;

export class ResilientLimitStore {
  private failing = false;
  private probedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly shared: LimitStore,
    private readonly hooks: OutageHooks,
    private readonly local: LimitStore = new MemoryLimitStore(),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True from a failed operation until one succeeds again: readiness reports it. A replica
   * not ready gets no traffic to find out it recovered, so while failing this pings the
   * shared store in the background (once a second at most), and the next call sees the answer.
   */
  unavailable(): boolean {
    if (this.failing && this.shared.ping !== undefined && this.now() - this.probedAt >= PROBE_MS) {
      this.probedAt = this.now();
      this.shared.ping().then(
        () => this.recovered(),
        () => {},
      );
    }
    return this.failing;
  }

  async reserve(checks: readonly PlannedCheck[]): Promise<Reserved> {
    try {
      const verdict = await this.shared.reserve(checks);
      this.recovered();
      return { verdict, settle: (deltas) => this.settleShared(deltas) };
    } catch (error) {
      this.failed('reserve', error);
      const closed = checks.find((check) => mode(check) === 'fail_closed');
      if (closed !== undefined)
        throw new SluiceError(
          'ERR_LIMITS_UNAVAILABLE',
          `the limits store is unreachable and ${closed.scope.kind} "${closed.scope.id}"'s ${closed.name} is fail_closed`,
          { cause: error },
        );
      this.hooks.onLocal();
      const verdict = await this.local.reserve(checks.map((check) => ({ ...check, limit: check.localLimit })));
      return { verdict, settle: (deltas) => this.local.settle(deltas) };
    }
  }

  close(): Promise<void> {
    return Promise.all([this.shared.close(), this.local.close()]).then(() => undefined);
  }

  private async settleShared(deltas: readonly CounterDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    try {
      await this.shared.settle(deltas);
      this.recovered();
    } catch (error) {
      // The reservation stays as estimated: a settle lost in an outage can only over-count.
      this.failed('settle', error);
    }
  }

  private failed(operation: 'reserve' | 'settle', error: unknown): void {
    this.hooks.onFailure(operation);
    if (this.failing) return;
    this.failing = true;
    this.hooks.log.warn(
      { operation, err: error },
      'limits store failed; limits follow on_store_failure until it answers',
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.hooks.log.info({}, 'limits store reachable again; limits shared again');
  }
}

function mode(check: PlannedCheck): LimitOutageMode {
  return check.scope.limits.on_store_failure;
}
