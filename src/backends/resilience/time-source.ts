/**
 * The two inputs every policy here is driven by, injected so tests are deterministic:
 * the current time (a `FakeClock` in tests) and a uniform draw in [0, 1) (a seeded stream).
 */
import { RealClock, type Clock } from '../../batching/clock.ts';

/** Only `now()` is read: nothing here arms timers, time is looked at when a decision is made. */
export type NowSource = Pick<Clock, 'now'>;

/** Uniform in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** The process's monotonic clock, shared by every policy that is not given one. */
export const systemNow: NowSource = new RealClock();
