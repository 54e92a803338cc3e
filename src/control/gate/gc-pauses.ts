/**
 * How long garbage collection has stopped the main thread, as the loop lag guard needs it:
 * read synchronously at any moment, including in the middle of the turn a pause is
 * stretching (`perf_hooks` GC entries arrive a turn or two later, through setImmediate).
 * V8's GCProfiler records every pause as it ends; each read takes its records and restarts
 * it, so it never holds more than the pauses since the last read.
 */
import { GCProfiler } from 'node:v8';

export interface GcPauseMeter {
  /** Main-thread garbage collection pauses since the meter started, in ms. */
  readMs(): number;
  /** Stops recording; `readMs` keeps returning the total so far. */
  stop(): void;
}

export function startGcPauseMeter(): GcPauseMeter {
  const profiler = new GCProfiler();
  let totalMs = 0;
  let running = true;
  profiler.start();
  const collect = (): void => {
    // `cost` is in microseconds.
    for (const pause of profiler.stop().statistics) totalMs += pause.cost / 1000;
  };
  return {
    readMs: () => {
      if (!running) return totalMs;
      collect();
      profiler.start();
      return totalMs;
    },
    stop: () => {
      if (!running) return;
      running = false;
      collect();
    },
  };
}
