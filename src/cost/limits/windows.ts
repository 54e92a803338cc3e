/**
 * The fixed windows limits are counted in: a minute, a UTC day, a UTC calendar month. A
 * window's counter starts at zero when it opens, so `Retry-After` is the time to its end.
 */
export type WindowKind = 'minute' | 'day' | 'month';

export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function windowOf(kind: WindowKind, nowMs: number): Window {
  if (kind === 'minute') return aligned(nowMs, MINUTE_MS);
  if (kind === 'day') return aligned(nowMs, DAY_MS);
  const now = new Date(nowMs);
  const startMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const endMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return { startMs, endMs };
}

function aligned(nowMs: number, size: number): Window {
  const startMs = nowMs - (((nowMs % size) + size) % size);
  return { startMs, endMs: startMs + size };
}
