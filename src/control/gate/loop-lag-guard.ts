/**
 * The queue sluice cannot see: requests waiting in socket buffers. Node parses every
 * readable socket in one turn before any timer runs, so a request parsed late in a long
 * turn has waited at least as long as the turn has run. One probe timer measures that,
 * and requests are shed by CoDel's rule.
 *
 *   probe timer, every tickMs ─► onTurn()   the turn was late by now − due − its GC pauses
 *   inference request ────────► check()    stall = now − due (0 while the loop keeps up)
 *
 *   shed ⇔ stall > targetMs
 *          and this turn parsed another request before this one (there is a queue)
 *          and the loop is dropping: every busy turn for intervalMs was late by more than
 *              targetMs with more than one request, the last no less late than the first
 *              (a backlog that drains is a burst being served), and it has not kept up
 *              for an interval since
 *
 * Why each condition, and why a timer: docs/design-notes.md.
 */
import type { Clock } from '../../core/clock.ts';
import { threadCpuClock } from './thread-cpu.ts';

export interface LoopLagOptions {
  /** The event loop thread's CPU time in ms, read once a turn; its own (thread-cpu.ts) by default. */
  readonly cpuMs?: () => number;
  /**
   * The main thread's garbage collection pauses so far, in ms (`startGcPauseMeter`), read
   * once a turn and when a turn would start shedding; none counted by default.
   */
  readonly gcMs?: () => number;
  /** A request is taken to have waited too long past this stall; 20 ms by default. */
  readonly targetMs?: number;
  /** How long the loop must have been behind before stalls are shed, and keep up before they are not; 100 ms by default. */
  readonly intervalMs?: number;
  /** The probe timer's period; 5 ms by default. */
  readonly tickMs?: number;
}

type LoopLagTimings = Required<Omit<LoopLagOptions, 'cpuMs' | 'gcMs'>>;

export const DEFAULT_LOOP_LAG: LoopLagTimings = Object.freeze({ targetMs: 20, intervalMs: 100, tickMs: 5 });

/** A late turn is the loop's own backlog only if the loop's thread spent at least this share of it on the CPU. */
const BUSY_SHARE = 0.5;

/** CoDel's "more than one packet queued": the fewest requests in a turn that make a queue. */
const QUEUED_REQUESTS = 2;

export type LoopLagCheck = { readonly shed: false } | { readonly shed: true; readonly stallMs: number };

const ADMIT: LoopLagCheck = Object.freeze({ shed: false });

export class LoopLagGuard {
  private readonly settings: LoopLagTimings;
  private readonly cpuMs: () => number;
  private readonly gcMs: () => number;
  private lastTurnMs: number;
  private lastTurnCpuMs: number;
  private lastTurnGcMs: number;
  /** Due time of the first of the late turns in a row so far; undefined after an on-time turn. */
  private lateSinceMs: number | undefined;
  /** How late the first of those turns was, past its GC pauses: a backlog smaller now is draining. */
  private firstLateMs = 0;
  /** This turn already sheds (late for an interval, not draining): decided once, not per request. */
  private shedsThisTurn = false;
  /** When this turn was last found draining; asked again a tick later, not for every request. */
  private drainingAtMs = Number.NEGATIVE_INFINITY;
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
    const { cpuMs = threadCpuClock().read, gcMs = noGcPauses, ...timings } = options;
    this.settings = validate({ ...DEFAULT_LOOP_LAG, ...timings });
    this.cpuMs = cpuMs;
    this.gcMs = gcMs;
    this.lastTurnMs = clock.now();
    this.lastTurnCpuMs = cpuMs();
    this.lastTurnGcMs = gcMs();
  }

  get tickMs(): number {
    return this.settings.tickMs;
  }

  /** The probe timer ran: the loop came round to its timers. */
  onTurn(): void {
    const now = this.clock.now();
    const cpuMs = this.cpuMs();
    const gcMs = this.gcMs();
    const previousTurnMs = this.lastTurnMs;
    const busy = cpuMs - this.lastTurnCpuMs >= BUSY_SHARE * (now - previousTurnMs);
    const dueMs = previousTurnMs + this.settings.tickMs;
    // A pause of the collector is no backlog of requests: the turns after it show what it left.
    const lateMs = now - dueMs - (gcMs - this.lastTurnGcMs);
    this.lastTurnMs = now;
    this.lastTurnCpuMs = cpuMs;
    this.lastTurnGcMs = gcMs;
    const requests = this.requestsThisTurn;
    this.requestsThisTurn = 0;
    this.shedsThisTurn = false;
    this.drainingAtMs = Number.NEGATIVE_INFINITY;
    if (lateMs > this.settings.targetMs && requests >= QUEUED_REQUESTS && busy) {
      if (this.lateSinceMs === undefined) {
        this.lateSinceMs = dueMs;
        this.firstLateMs = lateMs;
      }
      this.keptUpSinceMs = undefined;
      if (now - this.lateSinceMs >= this.settings.intervalMs && lateMs >= this.firstLateMs) this.dropping = true;
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
    return this.dropping || this.shedsThisTurn || this.turnProvesBacklog(now, stallMs)
      ? { shed: true, stallMs }
      : ADMIT;
  }

  /** How long the current turn has run past the probe's due time; 0 while the loop keeps up. */
  stallMs(now = this.clock.now()): number {
    return Math.max(0, now - (this.lastTurnMs + this.settings.tickMs));
  }

  /**
   * Not dropping yet, but late for an interval: this turn, so far past its GC pauses, is
   * as late as the first late turn was, so the backlog has not drained. Decided for the
   * rest of the turn once it has (the stall only grows), and asked again a tick after it
   * has not, so the GC meter is read a few times a turn, not for every request.
   */
  private turnProvesBacklog(now: number, stallMs: number): boolean {
    if (this.lateSinceMs === undefined || now - this.lateSinceMs < this.settings.intervalMs) return false;
    if (now - this.drainingAtMs < this.settings.tickMs) return false;
    const lateMs = stallMs - (this.gcMs() - this.lastTurnGcMs);
    this.shedsThisTurn = lateMs > this.settings.targetMs && lateMs >= this.firstLateMs;
    if (!this.shedsThisTurn) this.drainingAtMs = now;
    return this.shedsThisTurn;
  }

  /** Whether the loop is behind: in a run of late turns, or dropping and not yet caught up for an interval. */
  get behind(): boolean {
    return this.dropping || this.lateSinceMs !== undefined;
  }
}

function noGcPauses(): number {
  return 0;
}

function validate(settings: LoopLagTimings): LoopLagTimings {
  for (const [name, value] of Object.entries(settings)) {
    if (!(value > 0) || !Number.isFinite(value))
      throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
  return Object.freeze(settings);
}
