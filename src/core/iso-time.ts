/**
 * The wall clock as `new Date().toISOString()` writes it, for a text made on every audited
 * request. V8 formats each call in C++, which was the dearest part of an audit entry on the
 * request path (docs/benchmarks.md), while everything up to the milliseconds changes once a
 * second: that part is kept, made again when the second changes (the clock going back
 * included), and the milliseconds come from a table.
 */

/** `000Z` … `999Z`. */
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);

let keptSecond = Number.NaN;
/** `2026-12-08T03:46:24.` for keptSecond. */
let keptPrefix = '';

/** `time` (milliseconds since the epoch, a whole number; now by default) as ISO 8601 text with milliseconds, in UTC. */
export function isoTime(time: number = Date.now()): string {
  const ms = ((time % 1000) + 1000) % 1000;
  const second = time - ms;
  if (second !== keptSecond) {
    keptPrefix = new Date(second).toISOString().slice(0, -4);
    keptSecond = second;
  }
  return keptPrefix + (MILLISECONDS[ms] as string);
}
