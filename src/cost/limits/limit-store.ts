/**
 * Where limit counters live: in this process's memory, or in Redis so that every replica
 * counts into one (src/cost/limits/redis-limit-store.ts). A counter is a whole number
 * (requests, tokens, or billionths of a budget's unit) for one window, gone after it.
 */

/** One counter a request adds to, and the most it may hold. */
export interface CounterCheck {
  readonly key: string;
  /** Added when admitted (whole); 0 still refuses a counter already over its limit. */
  readonly amount: number;
  readonly limit: number;
  /** When the counter may be forgotten: its window's end (ms since the epoch). */
  readonly expiresAtMs: number;
}

export interface CounterDelta {
  readonly key: string;
  /** Added to the counter (negative gives back); a counter already gone stays gone. */
  readonly delta: number;
}

/** Admitted: every counter took its amount, `used` the values after. Refused: none did, `refused` the first over. */
export type ReserveVerdict =
  | { readonly admitted: true; readonly used: readonly number[] }
  | { readonly admitted: false; readonly refused: number; readonly used: number };

export interface LimitStore {
  /** Checks every counter and adds to all of them, or to none, in one atomic step. */
  reserve(checks: readonly CounterCheck[]): Promise<ReserveVerdict>;
  settle(deltas: readonly CounterDelta[]): Promise<void>;
  /** Stores that can fail (Redis): resolves when reachable. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/** The verdict for `checks` given each counter's value now: the one rule both stores apply. */
export function decide(checks: readonly CounterCheck[], current: readonly number[]): ReserveVerdict {
  const used: number[] = [];
  for (const [index, check] of checks.entries()) {
    const value = current[index] ?? 0;
    if (value + check.amount > check.limit) return { admitted: false, refused: index, used: value };
    used.push(value + check.amount);
  }
  return { admitted: true, used };
}
