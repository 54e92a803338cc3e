/**
 * GET /admin/usage: the cost ledger's sums (docs/api.md#usage), filtered by tenant, key,
 * model and days, grouped by any of tenant, key, model, version and day (always by unit).
 * Each bad parameter is a 400 naming it.
 */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import { NANOS_PER_UNIT } from '../cost/ledger/charge.ts';
import type { Ledger } from '../cost/ledger/ledger-setup.ts';
import { USAGE_DIMENSIONS, type UsageDimension, type UsageQuery, type UsageTotal } from '../state/store.ts';
import { invalidParameter, onlyParameters } from './admin-query.ts';

const PARAMETERS = ['tenant', 'key', 'model', 'from', 'to', 'group_by'] as const;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `ledger` undefined (ledger.enabled false): the route answers 404, saying why. */
export function registerUsageRoutes(app: FastifyInstance, ledger: Pick<Ledger, 'usage'> | undefined): void {
  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/admin/usage',
    { config: { protocol: 'admin' } },
    async (request) => {
      const query = usageQuery(request.query);
      if (ledger === undefined) {
        throw new SluiceError('ERR_ADMIN_NOT_FOUND', 'the cost ledger is off (ledger.enabled: false)');
      }
      const totals = await ledger.usage(query);
      const { from, to, groupBy } = query;
      return { from: from ?? null, to: to ?? null, group_by: groupBy, usage: totals.map(totalView) };
    },
  );
}

export function usageQuery(raw: Record<string, string | undefined>): UsageQuery {
  const query = onlyParameters(raw, PARAMETERS);
  const from = query.from === undefined ? undefined : day('from', query.from);
  const to = query.to === undefined ? undefined : day('to', query.to);
  if (from !== undefined && to !== undefined && to < from) invalidParameter('to', `${to} is before from (${from})`);
  return {
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    ...(query.key === undefined ? {} : { key: query.key }),
    ...(query.model === undefined ? {} : { model: query.model }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    groupBy: query.group_by === undefined ? [] : groupBy(query.group_by),
  };
}

/** A day that exists, YYYY-MM-DD (UTC). */
function day(name: 'from' | 'to', text: string): string {
  const parts = DAY.exec(text);
  const date =
    parts === null ? undefined : new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])));
  if (date === undefined || date.toISOString().slice(0, 10) !== text) invalidParameter(name, 'a day, YYYY-MM-DD');
  return text;
}

function groupBy(text: string): UsageDimension[] {
  const names = text.split(',');
  const known = USAGE_DIMENSIONS as readonly string[];
  const bad = names.find((name) => !known.includes(name));
  if (bad !== undefined) invalidParameter('group_by', `"${bad}" is not one of ${USAGE_DIMENSIONS.join(', ')}`);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) invalidParameter('group_by', `"${twice}" is named twice`);
  return names as UsageDimension[];
}

function totalView(total: UsageTotal): Record<string, string | number> {
  const { requests, items, inputTokens, outputTokens, costNanos, cacheHits, ...group } = total;
  return {
    ...group,
    requests,
    items,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cost: costNanos / NANOS_PER_UNIT,
    cache_hits: cacheHits,
  };
}
