/**
 * Honouring an upstream 429's `Retry-After`: the replica said when it wants to be asked
 * again, so until then it is not picked at all. Sending anyway only earns another 429 and
 * spends a retry; it is not a failure either (the replica is healthy and says so), so
 * ejection and breakers never hear of it.
 *
 *   429 + Retry-After: 2 ─► coolDown(i, 2000) ─► isCoolingDown(i) until now ≥ until[i]
 *   429 without it, or with a value in the past ─► nothing (the 429 alone only fails over)
 *
 * A replica's cooldown only ever lengthens while it runs: answers can arrive out of order
 * (a hedge and its first attempt), and the longer request to wait is the one to respect.
 */
import type { NowSource } from '../../../core/clock.ts';

/** RFC 9110 HTTP-date forms all start with a day name ("Sun, 06 Nov 1994 08:49:37 GMT"). */
const HTTP_DATE = /^[A-Za-z]{3,9},? /;

/**
 * Milliseconds a `Retry-After` value asks for: delay-seconds or an HTTP-date (against the
 * wall clock `wallNowMs`). Undefined for a missing or unreadable value; ≤ 0 for a date passed.
 */
export function parseRetryAfterMs(
  value: string | readonly string[] | undefined,
  wallNowMs: number,
): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at - wallNowMs;
}

export interface CooldownStats {
  /** Time left before the replica may be picked again; 0 when it may. */
  readonly remainingMs: number;
  /** Cooldowns started (429s with a usable Retry-After). */
  readonly cooldowns: number;
}

export class Cooldowns {
  private readonly untilMs: number[];
  private readonly started: number[];

  constructor(
    replicaCount: number,
    private readonly clock: NowSource,
    /** Longer requests are cut to this: a replica must not be able to take itself out for hours. */
    private readonly maxMs: number,
  ) {
    if (!(maxMs > 0)) throw new RangeError('Cooldowns needs maxMs > 0');
    this.untilMs = Array.from({ length: replicaCount }, () => 0);
    this.started = Array.from({ length: replicaCount }, () => 0);
  }

  /** The replica asked not to be sent anything for `ms`; a value ≤ 0 asks for nothing. */
  coolDown(index: number, ms: number): void {
    if (!(ms > 0) || index < 0 || index >= this.untilMs.length) return;
    const until = this.clock.now() + Math.min(ms, this.maxMs);
    if (until <= (this.untilMs[index] ?? 0)) return;
    this.untilMs[index] = until;
    this.started[index] = (this.started[index] ?? 0) + 1;
  }

  remainingMs(index: number): number {
    return Math.max(0, (this.untilMs[index] ?? 0) - this.clock.now());
  }

  isCoolingDown(index: number): boolean {
    return this.remainingMs(index) > 0;
  }

  stats(index: number): CooldownStats {
    return { remainingMs: this.remainingMs(index), cooldowns: this.started[index] ?? 0 };
  }
}
