/**
 * What one request costs, as pure functions: a local model's items at its declared cost
 * each, a remote model's tokens at its prices, an answer from the cache at what actually
 * ran. Costs are whole billionths of their unit ("nanos"), rounded once per request, so
 * that sums are exact however many requests and replicas add into them.
 */
import type { UsageSums } from '../../state/store.ts';
import type { Price } from './ledger-config.ts';

export const NANOS_PER_UNIT = 1e9;
/** The unit of a remote model declared without a price: its usage is kept, at no cost. */
export const UNPRICED = 'unpriced';
/** A local model's unit when its model.yaml names none. */
export const DEFAULT_ITEM_UNIT = 'compute-units';

/** One request's contribution to its row, and the row's unit. */
export interface Charge extends UsageSums {
  readonly unit: string;
}

export interface ItemCost {
  readonly per_item: number;
  readonly unit?: string;
}

/**
 * A local model's answer of `items` rows, `cached` of them from the per-item cache: only
 * the items the model ran cost anything; a request answered wholly from the cache is a hit.
 */
export function itemCharge(cost: ItemCost, items: number, cached: number): Charge {
  const ran = Math.max(0, items - cached);
  return {
    unit: cost.unit ?? DEFAULT_ITEM_UNIT,
    requests: 1,
    items,
    inputTokens: 0,
    outputTokens: 0,
    costNanos: Math.round(ran * cost.per_item * NANOS_PER_UNIT),
    cacheHits: items > 0 && ran === 0 ? 1 : 0,
  };
}

/** A remote model's answer: input and output tokens at its prices (per million tokens). */
export function tokenCharge(price: Price | undefined, inputTokens: number, outputTokens: number): Charge {
  const perToken = NANOS_PER_UNIT / 1e6;
  const nanos =
    price === undefined
      ? 0
      : inputTokens * price.input_per_million_tokens * perToken +
        outputTokens * price.output_per_million_tokens * perToken;
  return {
    unit: price?.currency ?? UNPRICED,
    requests: 1,
    items: 0,
    inputTokens,
    outputTokens,
    costNanos: Math.round(nanos),
    cacheHits: 0,
  };
}

/**
 * A request answered without running the model (a whole answer from the cache, or an
 * identical request's run it joined): counted, and a hit, at no cost and no tokens.
 */
export function hitCharge(unit: string, items: number): Charge {
  return { unit, requests: 1, items, inputTokens: 0, outputTokens: 0, costNanos: 0, cacheHits: 1 };
}
