/**
 * The calling thread's own CPU time, for the loop lag guard's "was the loop busy" test.
 * `process.cpuUsage()` sums every thread of the process: the model's worker threads and
 * V8's concurrent GC helpers too, which on a server with few cores take the core from the
 * event loop, so a turn they delayed looked like the loop's own backlog. Linux reports a
 * thread's run time in `/proc/thread-self/schedstat` (nanoseconds, its first field); the
 * file stays open and is re-read in place, about a microsecond. Elsewhere, the process's.
 */
import { openSync, readSync } from 'node:fs';

/** A reader of the calling thread's CPU time in ms; call `threadCpuClock` on the thread to measure. */
export type CpuClock = () => number;

export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function threadCpuClock(): { readonly read: CpuClock; readonly perThread: boolean } {
  let descriptor: number;
  try {
    descriptor = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return { read: processCpuMs, perThread: false };
  }
  const buffer = Buffer.alloc(64);
  const read = (): number => {
    const length = readSync(descriptor, buffer, 0, buffer.length, 0);
    const end = buffer.indexOf(0x20);
    return Number(buffer.toString('latin1', 0, end > 0 && end < length ? end : length)) / 1e6;
  };
  return Number.isFinite(read()) ? { read, perThread: true } : { read: processCpuMs, perThread: false };
}
