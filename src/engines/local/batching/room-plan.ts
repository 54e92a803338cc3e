/**
 * Pure admission decisions for a bounded level: whom to shed to make room for an
 * arrival, and how long a refused client should wait before it retries.
 */
import type { TenantLoad } from './fair-level.ts';

export interface Arrival {
  readonly tenant: string;
  readonly weight: number;
  readonly rows: number;
}

export type RoomPlan<R> = { readonly admit: true; readonly shed: readonly R[] } | { readonly admit: false };

const ADMIT_AS_IS: RoomPlan<never> = Object.freeze({ admit: true, shed: Object.freeze([]) });
const REFUSE: RoomPlan<never> = Object.freeze({ admit: false });

/**
 * Room for `arrival` in a level holding `queuedRows` of at most `maxQueueSize` (0 =
 * unbounded). While the level would overflow, and the arriving tenant's share with the
 * arrival ((its rows + the arrival's) / its weight) is below the heaviest other tenant's
 * share (rows / weight), that tenant's newest queued request is marked for shedding;
 * once the arrival's tenant would be the heaviest, the arrival is refused instead and
 * nothing is shed. So a flooding tenant loses its own newest requests, and a tenant
 * within its share is never refused while a heavier one holds the room.
 */
export function planRoom<R>(
  arrival: Arrival,
  queuedRows: number,
  maxQueueSize: number,
  loads: ReadonlyMap<string, TenantLoad<R>>,
): RoomPlan<R> {
  if (maxQueueSize === 0) return ADMIT_AS_IS;
  if (arrival.rows > maxQueueSize) return REFUSE;
  let excess = queuedRows + arrival.rows - maxQueueSize;
  if (excess <= 0) return ADMIT_AS_IS;
  const arrivalShare = ((loads.get(arrival.tenant)?.rows ?? 0) + arrival.rows) / arrival.weight;
  const rows = new Map<string, number>();
  for (const [tenant, load] of loads) if (tenant !== arrival.tenant) rows.set(tenant, load.rows);
  const newest = new Map<string, Iterator<{ readonly request: R; readonly rows: number }>>();
  const shed: R[] = [];
  while (excess > 0) {
    const heaviest = heaviestTenant(rows, loads);
    if (heaviest === undefined || !(arrivalShare < heaviest.share)) return REFUSE;
    let requests = newest.get(heaviest.tenant);
    if (requests === undefined) {
      requests = loads.get(heaviest.tenant)?.newestFirst()[Symbol.iterator]();
      if (requests === undefined) return REFUSE;
      newest.set(heaviest.tenant, requests);
    }
    const next = requests.next();
    if (next.done === true) return REFUSE;
    shed.push(next.value.request);
    rows.set(heaviest.tenant, (rows.get(heaviest.tenant) ?? 0) - next.value.rows);
    excess -= next.value.rows;
  }
  return { admit: true, shed };
}

function heaviestTenant<R>(
  rows: ReadonlyMap<string, number>,
  loads: ReadonlyMap<string, TenantLoad<R>>,
): { tenant: string; share: number } | undefined {
  let heaviest: { tenant: string; share: number } | undefined;
  for (const [tenant, count] of rows) {
    if (count <= 0) continue;
    const share = count / (loads.get(tenant)?.weight ?? 1);
    if (heaviest === undefined || share > heaviest.share) heaviest = { tenant, share };
  }
  return heaviest;
}

export const RETRY_AFTER_MIN_MS = 1;
export const RETRY_AFTER_MAX_MS = 60_000;
/** When nothing has drained yet there is no rate to go by: a second is a modest guess. */
export const RETRY_AFTER_UNKNOWN_MS = 1_000;

/**
 * How long until the rows ahead of a refused request (queued at its priority or higher)
 * have drained at the current rate, in whole milliseconds within [1 ms, 60 s].
 */
export function retryAfterMs(rowsAhead: number, drainRowsPerSec: number | undefined): number {
  if (drainRowsPerSec === undefined || !(drainRowsPerSec > 0)) return RETRY_AFTER_UNKNOWN_MS;
  const ms = Math.ceil((Math.max(0, rowsAhead) / drainRowsPerSec) * 1000);
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, ms));
}
