/**
 * `ledger` in the configuration, and a remote model's `price` (docs/cost.md#cost-ledger):
 * whether each request's cost is recorded, how often the sums are written to the store,
 * and how many unwritten rows may wait in memory.
 */
import { z } from 'zod';

/** What a remote model's tokens cost, per million, in a currency (any unit the operator bills in). */
export const PriceSchema = z.strictObject({
  input_per_million_tokens: z.number().min(0).max(1_000_000),
  output_per_million_tokens: z.number().min(0).max(1_000_000),
  currency: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/, 'a short name: letters, digits, "_", "." or "-" (e.g. USD)')
    .default('USD'),
});

export type Price = z.infer<typeof PriceSchema>;

export const LedgerSchema = z
  .strictObject({
    /** Off: no request is costed, /admin/usage answers 404 and no sums are written. */
    enabled: z.boolean().default(true),
    /** The sums gathered in memory are written to the store this often (one transaction). */
    flush_interval_ms: z.number().int().min(10).max(600_000).default(1000),
    /** Distinct rows (tenant, key, model, version, day, unit) held unwritten; a new one past it is dropped and counted. */
    max_pending_rows: z.number().int().min(1).max(1_000_000).default(100_000),
  })
  .prefault({});

export type LedgerConfig = z.infer<typeof LedgerSchema>;

interface PricedBackend {
  readonly dialect: string;
  readonly models: ReadonlyArray<{ readonly price?: Price | undefined }>;
}

/** Prices are per token, and only OpenAI-compatible backends have tokens: a price elsewhere is refused, naming it. */
export function refinePrices(backends: readonly PricedBackend[], ctx: z.RefinementCtx): void {
  backends.forEach((backend, b) =>
    backend.models.forEach((model, m) => {
      if (model.price === undefined || backend.dialect === 'openai') return;
      ctx.addIssue({
        code: 'custom',
        path: ['backends', b, 'models', m, 'price'],
        message: `prices are per token; a ${backend.dialect} backend's models have no tokens (only openai backends' do)`,
      });
    }),
  );
}
