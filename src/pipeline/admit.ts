/**
 * The admit stage's input: a request's priority, tenant, weight and deadline as a
 * batcher ticket. The batcher itself refuses what it cannot serve in time (429) and
 * expires what waited too long (504); this stage only settles what was asked for.
 */
import type { Ticket } from '../core/ticket.ts';
import type { RequestedLimits } from './request.ts';
import { SluiceError } from '../core/errors.ts';
import type { Tenant } from '../tenancy/tenant-directory.ts';

/** What a ticket is made from: a local model's scheduling, or a remote backend's. */
export interface TicketScheduling {
  readonly priority_levels: number;
  readonly default_priority_level: number;
  readonly default_timeout_ms: number;
}

export function makeTicket(
  scheduling: TicketScheduling,
  tenant: Tenant,
  requested: RequestedLimits,
  nowMs: number,
  loadControl: boolean,
): Ticket {
  if (!loadControl) return { priority: 1, tenant: tenant.name, weight: 1, deadlineMs: undefined };
  const levels = scheduling.priority_levels;
  // A tenant's class may name a level the model does not have; it then means the model's lowest.
  const highestAllowed = Math.min(tenant.priority ?? 1, levels);
  const fallback = tenant.priority === undefined ? scheduling.default_priority_level : highestAllowed;
  const priority = requested.priority ?? fallback;
  if (!Number.isInteger(priority) || priority < 1 || priority > levels) {
    throw new SluiceError(
      'ERR_REQUEST_PRIORITY',
      `priority must be an integer from 1 (highest) to ${levels}, got ${priority}`,
      { field: 'priority' },
    );
  }
  if (priority < highestAllowed) {
    throw new SluiceError(
      'ERR_REQUEST_PRIORITY',
      `tenant "${tenant.name}" may use priority levels ${highestAllowed} to ${levels}, not ${priority}`,
      { field: 'priority' },
    );
  }
  const timeoutMs = Math.min(requested.timeoutMs ?? scheduling.default_timeout_ms, scheduling.default_timeout_ms);
  return { priority, tenant: tenant.name, weight: tenant.weight, deadlineMs: nowMs + timeoutMs };
}

/** Reads a header or parameter holding a positive whole number of some unit. */
export function positiveInteger(
  value: unknown,
  name: string,
  code: 'ERR_REQUEST_PRIORITY' | 'ERR_REQUEST_TIMEOUT',
): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw new SluiceError(code, `${name} must be a positive integer, got ${JSON.stringify(value)}`, { field: name });
  }
  return number;
}

/**
 * The ticket of a request admitted at `admittedAt` for another arm of a composition (a
 * fallback): that arm's levels and timeout, the priority asked for kept within its levels.
 */
export function armTicket(
  scheduling: TicketScheduling,
  tenant: Tenant,
  requested: RequestedLimits,
  admittedAt: number,
  loadControl: boolean,
): Ticket {
  const priority =
    requested.priority === undefined ? undefined : Math.min(requested.priority, scheduling.priority_levels);
  return makeTicket(scheduling, tenant, { ...requested, priority }, admittedAt, loadControl);
}
