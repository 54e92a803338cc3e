/**
 * What a request will cost, estimated before it is sent, so it can be reserved: a local
 * model's items at its declared cost each; a remote OpenAI-compatible model's prompt
 * tokens by sluice's tokenizer plus the completion it may write (`max_tokens`, else a
 * per-model default), at its prices. The ledger's own functions price both.
 */
import type { RequestContext } from '../../pipeline/context.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { Target } from '../../pipeline/target.ts';
import { itemCharge, tokenCharge, type Charge } from '../ledger/charge.ts';
import type { Price } from '../ledger/ledger-config.ts';
import { promptTokens } from '../ledger/remote-tokens.ts';
import type { LimitSettings } from './limits-config.ts';
import { addUsage, NO_USAGE, type Usage } from './limit-plan.ts';

type Estimated = Pick<RequestContext, 'request' | 'target' | 'prepared'>;

export async function estimateUsage(
  context: Estimated,
  settings: Pick<LimitSettings, 'default_completion_tokens' | 'completion_tokens'>,
  prices: ReadonlyMap<string, Price>,
): Promise<Usage> {
  const { target, prepared, request } = context;
  if (target === undefined) return NO_USAGE;
  // A route estimates the models it may run: the rule's choice, or every stage of a cascade.
  let estimate: Usage | undefined;
  for (const model of prepared?.mayRun ?? [target]) {
    const usage = await modelEstimate(model, request, prepared?.items?.length ?? 0, settings, prices);
    estimate = estimate === undefined ? usage : addUsage(estimate, usage);
  }
  return estimate ?? NO_USAGE;
}

async function modelEstimate(
  target: Target,
  request: InferenceRequest,
  items: number,
  settings: Pick<LimitSettings, 'default_completion_tokens' | 'completion_tokens'>,
  prices: ReadonlyMap<string, Price>,
): Promise<Usage> {
  const { description } = target;
  if (description !== undefined) return usageOf(itemCharge(description.cost, items, 0));
  if (request.family !== 'openai') return NO_USAGE;
  const input = await promptTokens(request);
  const output = completionTokens(request, settings, target.name);
  return usageOf(tokenCharge(prices.get(target.name), input, output));
}

/** The most completion tokens the request may be answered with: `max_completion_tokens` or `max_tokens`, times `n`. */
export function completionTokens(
  request: Pick<InferenceRequest, 'operation' | 'document'>,
  settings: Pick<LimitSettings, 'default_completion_tokens' | 'completion_tokens'>,
  model: string,
): number {
  if (request.operation === 'embed') return 0;
  const { document } = request;
  const asked = count(document['max_completion_tokens']) ?? count(document['max_tokens']);
  const each = asked ?? settings.completion_tokens[model] ?? settings.default_completion_tokens;
  return each * Math.max(1, count(document['n']) ?? 1);
}

export function usageOf(charge: Charge): Usage {
  return { tokens: charge.inputTokens + charge.outputTokens, costNanos: { [charge.unit]: charge.costNanos } };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
