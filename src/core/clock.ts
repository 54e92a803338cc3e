/**
 * Time as the batcher sees it. The loop only reads `now()` and arms one timer, so
 * tests swap in `FakeClock` and step time by hand instead of sleeping.
 */

/** A pending timer; only the clock that made it can clear it. */
export interface TimerHandle {
  /** When the timer fires, on its clock's `now()` scale. */
  readonly dueMs: number;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** `performance.now()` and `setTimeout`: monotonic, so wall-clock jumps cannot stall a batch. */
export class RealClock implements Clock {
  // Keyed by our own handle object so the Node timer type never leaks out of this class.
  private readonly timers = new Map<TimerHandle, NodeJS.Timeout>();

  now(): number {
    return performance.now();
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { dueMs: this.now() + Math.max(0, ms) };
    const fire = (): void => {
      // Node counts timers on the event loop's cached whole-millisecond time, so one can fire
      // before `dueMs` on performance.now()'s scale: it waits out the rest instead.
      const earlyMs = handle.dueMs - this.now();
      if (earlyMs > 0) {
        this.timers.set(handle, setTimeout(fire, Math.ceil(earlyMs)));
        return;
      }
      this.timers.delete(handle);
      fn();
    };
    this.timers.set(handle, setTimeout(fire, ms));
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const timeout = this.timers.get(handle);
    if (timeout === undefined) return;
    clearTimeout(timeout);
    this.timers.delete(handle);
  }
}

interface FakeTimer {
  readonly handle: TimerHandle;
  readonly fn: () => void;
  /** Creation order, so timers due at the same instant fire in the order they were set. */
  readonly sequence: number;
}

/** A clock that moves only when `advance` is called; due timers fire in due-time order. */
export class FakeClock implements Clock {
  private currentMs: number;
  private timers: FakeTimer[] = [];
  private sequence = 0;

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  now(): number {
    return this.currentMs;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { dueMs: this.currentMs + Math.max(0, ms) };
    this.timers.push({ handle, fn, sequence: this.sequence++ });
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.handle !== handle);
  }

  /** Timers armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including
   * timers set by those callbacks), each with `now()` equal to its due time.
   */
  advance(ms: number): void {
    const targetMs = this.currentMs + ms;
    for (let timer = this.nextDue(targetMs); timer !== undefined; timer = this.nextDue(targetMs)) {
      this.timers = this.timers.filter((other) => other !== timer);
      this.currentMs = Math.max(this.currentMs, timer.handle.dueMs);
      timer.fn();
    }
    this.currentMs = Math.max(this.currentMs, targetMs);
  }

  private nextDue(limitMs: number): FakeTimer | undefined {
    let earliest: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.handle.dueMs > limitMs) continue;
      if (
        earliest === undefined ||
        timer.handle.dueMs < earliest.handle.dueMs ||
        (timer.handle.dueMs === earliest.handle.dueMs && timer.sequence < earliest.sequence)
      ) {
        earliest = timer;
      }
    }
    return earliest;
  }
}

/** Only `now()` is read: nothing here arms timers, time is looked at when a decision is made. */
export type NowSource = Pick<Clock, 'now'>;

/** The process's monotonic clock, shared by every policy that is not given one. */
export const systemNow: NowSource = new RealClock();
