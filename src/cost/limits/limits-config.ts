/**
 * Rate limits and budgets in the configuration (docs/cost.md#budgets-and-rate-limits):
 * `tenants[].limits` and `tenants[].keys[].limits` name what one tenant or key may use,
 * and the top-level `limits` how requests are estimated and where the counters live.
 */
import { z } from 'zod';

export const ON_STORE_FAILURE = ['fail_closed', 'fail_open'] as const;
export type LimitOutageMode = (typeof ON_STORE_FAILURE)[number];

/** One tenant's or key's limits; every one is optional, and absent means unlimited. */
export const LimitsSchema = z
  .strictObject({
    requests_per_minute: z.number().int().min(1).optional(),
    /** Input and output tokens of remote OpenAI-compatible models. */
    tokens_per_minute: z.number().int().min(1).optional(),
    /** In `spend_unit`, per UTC day and per UTC calendar month. */
    spend_per_day: z.number().positive().optional(),
    spend_per_month: z.number().positive().optional(),
    /** The ledger unit a budget counts (a price's currency, or a local model's cost unit); other units' costs do not count against it. */
    spend_unit: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/, 'a short name: letters, digits, "_", "." or "-" (e.g. USD)')
      .optional(),
    /** Past this share of a limit, answers carry `x-sluice-budget-warning`. */
    soft_ratio: z.number().gt(0).max(1).default(0.8),
    /** While Redis is unreachable: refuse (503), or enforce `fail_open_share` of each limit in this process alone. */
    on_store_failure: z.enum(ON_STORE_FAILURE).default('fail_closed'),
    fail_open_share: z.number().gt(0).max(1).default(0.5),
  })
  .superRefine((limits, ctx) => {
    const spends = limits.spend_per_day !== undefined || limits.spend_per_month !== undefined;
    if (spends && limits.spend_unit === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['spend_unit'],
        message: 'a budget names its unit: set spend_unit (e.g. USD, or compute-units for local models)',
      });
  });

export type LimitsConfig = z.infer<typeof LimitsSchema>;

/** How requests are estimated before they run, and where the counters live. */
export const LimitSettingsSchema = z
  .strictObject({
    /** A remote chat or completion without `max_tokens` reserves this many completion tokens… */
    default_completion_tokens: z.number().int().min(1).default(1024),
    /** …or this many for the model named (sluice names). */
    completion_tokens: z.record(z.string().min(1), z.number().int().min(1)).default({}),
    /** Counter keys in Redis start with it: replicas that share limits share the prefix. */
    redis_prefix: z.string().default('sluice:limits:'),
    /** How long a Redis script may take before the store counts as failed for that request. */
    redis_timeout_ms: z.number().int().min(1).max(10_000).default(250),
  })
  .prefault({});

export type LimitSettings = z.infer<typeof LimitSettingsSchema>;
