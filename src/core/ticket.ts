/**
 * What a request brings to the batcher besides its rows (its priority, tenant, weight
 * and deadline), and the per-model scheduling settings that give them meaning, in
 * Triton's terms (`priority_levels`, `default_priority_level`, `max_queue_size`).
 */
import { SluiceError } from './errors.ts';

export interface Ticket {
  /** 1 = highest … priorityLevels; 0, or a level the model does not have, means its default level (as in Triton). */
  readonly priority: number;
  /** Who the request is for; tenants share a level by weighted deficit round robin. */
  readonly tenant: string;
  /** The tenant's share of its level relative to other tenants; > 0. */
  readonly weight: number;
  /** Absolute time on the batcher's clock after which the request is worthless; undefined = none. */
  readonly deadlineMs: number | undefined;
}

/** A ticket whose priority has been resolved to a level and checked. */
export interface ResolvedTicket extends Ticket {
  readonly level: number;
}

export interface SchedulingOptions {
  /** ≥ 1; 1 by default (every request at one level). */
  readonly priorityLevels?: number;
  /** The level of a ticket with priority 0; the lowest level by default. */
  readonly defaultPriorityLevel?: number;
  /** Rows each level may hold; 0 (the default) = unbounded. */
  readonly maxQueueSize?: number;
  /** Rows the lightest tenant of a level may take per round robin turn; 1 by default. */
  readonly quantumRows?: number;
}

export type Scheduling = Required<SchedulingOptions>;

/** For callers that know nothing of tenants: the default level, one shared tenant, no deadline. */
export const DEFAULT_TICKET: Ticket = Object.freeze({
  priority: 0,
  tenant: 'default',
  weight: 1,
  deadlineMs: undefined,
});

export function normaliseScheduling(options: SchedulingOptions = {}): Scheduling {
  const priorityLevels = options.priorityLevels ?? 1;
  if (!Number.isInteger(priorityLevels) || priorityLevels < 1) {
    throw new RangeError(`priorityLevels must be an integer ≥ 1, got ${priorityLevels}`);
  }
  const defaultPriorityLevel = options.defaultPriorityLevel ?? priorityLevels;
  if (!Number.isInteger(defaultPriorityLevel) || defaultPriorityLevel < 1 || defaultPriorityLevel > priorityLevels) {
    throw new RangeError(
      `defaultPriorityLevel must be an integer in 1..${priorityLevels}, got ${defaultPriorityLevel}`,
    );
  }
  const maxQueueSize = options.maxQueueSize ?? 0;
  if (!Number.isInteger(maxQueueSize) || maxQueueSize < 0) {
    throw new RangeError(`maxQueueSize must be an integer ≥ 0 (0 = unbounded), got ${maxQueueSize}`);
  }
  const quantumRows = options.quantumRows ?? 1;
  if (!Number.isInteger(quantumRows) || quantumRows < 1)
    throw new RangeError(`quantumRows must be an integer ≥ 1, got ${quantumRows}`);
  return Object.freeze({ priorityLevels, defaultPriorityLevel, maxQueueSize, quantumRows });
}

/**
 * The ticket with its level, or a 400 naming the bad field: tickets are built from
 * client input. Priority 0 and priorities beyond the model's levels take the default
 * level, exactly as Triton's `InferenceRequest::SetPriority` does, so a model configured
 * with fewer levels than a tenant class names still serves it.
 */
export function resolveTicket(ticket: Ticket, scheduling: Scheduling): ResolvedTicket {
  const { priority, weight, deadlineMs, tenant } = ticket;
  if (!Number.isInteger(priority) || priority < 0) {
    throw new SluiceError(
      'ERR_REQUEST_PRIORITY',
      `priority must be a whole number ≥ 0 (0 = default), got ${priority}`,
      { field: 'priority' },
    );
  }
  if (!(weight > 0) || !Number.isFinite(weight)) {
    throw new SluiceError('ERR_REQUEST_INVALID', `weight must be a finite number > 0, got ${weight}`, {
      field: 'weight',
    });
  }
  if (deadlineMs !== undefined && Number.isNaN(deadlineMs)) {
    throw new SluiceError('ERR_REQUEST_INVALID', 'deadline must be a number', { field: 'deadline' });
  }
  if (typeof tenant !== 'string')
    throw new SluiceError('ERR_REQUEST_INVALID', 'tenant must be a string', { field: 'tenant' });
  const level = priority === 0 || priority > scheduling.priorityLevels ? scheduling.defaultPriorityLevel : priority;
  return { ...ticket, level };
}
