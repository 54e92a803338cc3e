/**
 * The queue sluice cannot see: requests waiting in socket buffers for the event loop to
 * come round to them. Under overload Node reads them in bursts (one turn of the loop
 * parses every readable socket before any timer runs), so a request parsed late in a long
 * turn has waited at least as long as that turn has run. This guard estimates the wait
 * from one timer and sheds by CoDel's rule: a delay above the target is a burst to be
 * absorbed, unless the loop has already been behind for a whole interval.
 *
 *   probe timer, every tickMs ─► onTurn()   the loop came round; the turn was late by now − due
 *   inference request ────────► check()    stall = now − due: how long this turn has run past
 *                                           the timer's due time (0 while the loop keeps up)
 *
 *   shed ⇔ stall > targetMs  and  this turn has parsed another request before this one
 *          and  the loop is in its dropping state: every turn for at least intervalMs has
 *          been late by more than targetMs while parsing more than one request (CoDel:
 *          the delay stayed above target for a whole interval), and since then it has
 *          not kept up for a whole interval
 *
 * Consequences of the rule:
 * - a single long turn (a GC pause, a first burst after idle) is let through: only a turn
 *   that follows a late one can shed, so one stall never refuses anything by itself;
 * - late turns with on-time turns between them are bursts too: a loop that catches up
 *   between stalls (garbage collection pauses of 10–40 ms every few turns at 80% load on
 *   the benchmark machine) has no standing backlog, and one on-time turn restarts the count;
 * - there must be a queue: as CoDel never drops the only packet queued, a request alone
 *   in its turn is never shed, and a late turn counts only if it parsed more than one.
 *   A loop stalled by work of its own (loading models at start, parsing one huge body)
 *   has no backlog of requests behind it that shedding would shorten;
 * - in sustained overload each turn admits what it parses in its first `targetMs` and
 *   sheds the rest before the body is read, which shortens the next turns (a refusal costs
 *   a fifth to a third of what serving does: ~44 µs of CPU against 150–210 µs on the
 *   benchmark machine, docs/benchmarks.md), as long as the server can refuse as fast as
 *   requests arrive;
 * - once dropping, the loop must keep up for a whole interval before a long turn is again
 *   treated as a burst (CoDel re-enters its dropping state at once for the same reason);
 * - a late turn counts only if the process was busy through it (CPU time at least half the
 *   wall time since the last turn): a loop late because the machine took its core away
 *   (a neighbour, a test runner starting processes beside it) has no backlog of its own,
 *   and shedding would refuse requests a moment later it could serve.
 *
 * Why a timer and not the alternatives:
 * - no request carries the time its bytes arrived (Node's HTTP parser reads the socket
 *   natively), and on a keep-alive connection the socket's own arrival says nothing;
 * - `perf_hooks.monitorEventLoopDelay` records a delay only after the stalled turn has
 *   ended, so it cannot see the turn that is stalling now, the one parsing the backlog;
 * - the timer costs one callback per tick while idle and one `now()` per request.
 */
import type { Clock } from '../../core/clock.ts';

export interface LoopLagOptions {
  /** The process's CPU time in ms (user + system), read once a turn; `process.cpuUsage()` by default. */
  readonly cpuMs?: () => number;
  /** A request is taken to have waited too long past this stall; 20 ms by default. */
  readonly targetMs?: number;
  /** How long the loop must have been behind before stalls are shed, and keep up before they are not; 100 ms by default. */
  readonly intervalMs?: number;
  /** The probe timer's period; 5 ms by default. */
  readonly tickMs?: number;
}

type LoopLagTimings = Required<Omit<LoopLagOptions, 'cpuMs'>>;

export const DEFAULT_LOOP_LAG: LoopLagTimings = Object.freeze({ targetMs: 20, intervalMs: 100, tickMs: 5 });

/** A late turn is the loop's own backlog only if the process spent at least this share of it on the CPU. */
const BUSY_SHARE = 0.5;

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CoDel's "more than one packet queued": the fewest requests in a turn that make a queue. */
const QUEUED_REQUESTS = 2;

export type LoopLagCheck = { readonly shed: false } | { readonly shed: true; readonly stallMs: number };

const ADMIT: LoopLagCheck = Object.freeze({ shed: false });

export class LoopLagGuard {
  private readonly settings: LoopLagTimings;
  private readonly cpuMs: () => number;
  private lastTurnMs: number;
  private lastTurnCpuMs: number;
  /** Due time of the first of the late turns in a row so far; undefined after an on-time turn. */
  private lateSinceMs: number | undefined;
  /** Late for a whole interval without a break: shedding until the loop keeps up for one. */
  private dropping = false;
  /** The end of the last late turn, once turns are on time again while dropping; it stops an interval later. */
  private keptUpSinceMs: number | undefined;
  /** Requests checked since the probe last ran. */
  private requestsThisTurn = 0;

  constructor(
    private readonly clock: Clock,
    options: LoopLagOptions = {},
  ) {
    const { cpuMs = processCpuMs, ...timings } = options;
    this.settings = validate({ ...DEFAULT_LOOP_LAG, ...timings });
    this.cpuMs = cpuMs;
    this.lastTurnMs = clock.now();
    this.lastTurnCpuMs = cpuMs();
  }

  get tickMs(): number {
    return this.settings.tickMs;
  }

  /** The probe timer ran: the loop came round to its timers. */
  onTurn(): void {
    const now = this.clock.now();
    const cpuMs = this.cpuMs();
    const previousTurnMs = this.lastTurnMs;
    const busy = cpuMs - this.lastTurnCpuMs >= BUSY_SHARE * (now - previousTurnMs);
    const dueMs = previousTurnMs + this.settings.tickMs;
    this.lastTurnMs = now;
    this.lastTurnCpuMs = cpuMs;
    const requests = this.requestsThisTurn;
    this.requestsThisTurn = 0;
    if (now - dueMs > this.settings.targetMs && requests >= QUEUED_REQUESTS && busy) {
      this.lateSinceMs ??= dueMs;
      this.keptUpSinceMs = undefined;
      if (now - this.lateSinceMs >= this.settings.intervalMs) this.dropping = true;
      return;
    }
    if (!this.dropping) {
      this.lateSinceMs = undefined;
      return;
    }
    this.keptUpSinceMs ??= previousTurnMs;
    if (now - this.keptUpSinceMs >= this.settings.intervalMs) {
      this.dropping = false;
      this.lateSinceMs = undefined;
      this.keptUpSinceMs = undefined;
    }
  }

  /** Whether a request arriving now should be shed, and how far behind the loop is. */
  check(): LoopLagCheck {
    this.requestsThisTurn += 1;
    const now = this.clock.now();
    const stallMs = this.stallMs(now);
    if (stallMs <= this.settings.targetMs || this.requestsThisTurn < QUEUED_REQUESTS) return ADMIT;
    const lateForAnInterval = this.lateSinceMs !== undefined && now - this.lateSinceMs >= this.settings.intervalMs;
    return this.dropping || lateForAnInterval ? { shed: true, stallMs } : ADMIT;
  }

  /** How long the current turn has run past the probe's due time; 0 while the loop keeps up. */
  stallMs(now = this.clock.now()): number {
    return Math.max(0, now - (this.lastTurnMs + this.settings.tickMs));
  }

  /** Whether the loop is behind: in a run of late turns, or dropping and not yet caught up for an interval. */
  get behind(): boolean {
    return this.dropping || this.lateSinceMs !== undefined;
  }
}

function validate(settings: LoopLagTimings): LoopLagTimings {
  for (const [name, value] of Object.entries(settings)) {
    if (!(value > 0) || !Number.isFinite(value))
      throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
  return Object.freeze(settings);
}
