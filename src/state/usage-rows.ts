/**
 * The cost ledger's rows and statements, the same for both databases: `placeholder(n)`
 * spells the n-th parameter (`?` for SQLite, `$n` for PostgreSQL). A flush adds its sums
 * into the stored rows (`ON CONFLICT … DO UPDATE SET x = x + excluded.x`), so replicas
 * flushing into one row at once each add theirs and none is lost.
 */
import type { UsageDimension, UsageQuery, UsageRow, UsageSums, UsageTotal } from './store.ts';

type Placeholder = (index: number) => string;
type Param = string | number;

const KEY_COLUMNS = ['tenant', 'key_id', 'model', 'version', 'day', 'unit'] as const;
const SUM_COLUMNS = ['requests', 'items', 'input_tokens', 'output_tokens', 'cost_nanos', 'cache_hits'] as const;
const COLUMNS = [...KEY_COLUMNS, ...SUM_COLUMNS];

/** Rows a statement: a flush of thousands of rows is a few statements, well under SQLite's parameter limit. */
export const USAGE_ROWS_PER_INSERT = 64;

/** The column a dimension is kept in. */
const COLUMN_OF: Readonly<Record<UsageDimension, string>> = {
  tenant: 'tenant',
  key: 'key_id',
  model: 'model',
  version: 'version',
  day: 'day',
};

export function insertUsageSql(rows: number, placeholder: Placeholder): string {
  const values = Array.from(
    { length: rows },
    (_, row) => `(${COLUMNS.map((_column, index) => placeholder(row * COLUMNS.length + index + 1)).join(', ')})`,
  );
  const added = SUM_COLUMNS.map((sum) => `${sum} = usage_ledger.${sum} + excluded.${sum}`).join(', ');
  return (
    `INSERT INTO usage_ledger (${COLUMNS.join(', ')}) VALUES ${values.join(', ')}` +
    ` ON CONFLICT (${KEY_COLUMNS.join(', ')}) DO UPDATE SET ${added}`
  );
}

export function usageParams(row: UsageRow): Param[] {
  const { tenant, key, model, version, day, unit } = row;
  return [tenant, key, model, version, day, unit, ...sumsOf(row)];
}

function sumsOf(sums: UsageSums): number[] {
  return [sums.requests, sums.items, sums.inputTokens, sums.outputTokens, sums.costNanos, sums.cacheHits];
}

/**
 * One row per key (one statement may not update a row twice), sorted by key: two
 * replicas' transactions then lock shared rows in one order and never deadlock.
 */
export function mergedUsage(rows: readonly UsageRow[]): UsageRow[] {
  const byKey = new Map<string, UsageRow>();
  for (const row of rows) {
    const id = JSON.stringify([row.tenant, row.key, row.model, row.version, row.day, row.unit]);
    const before = byKey.get(id);
    byKey.set(id, before === undefined ? row : { ...row, ...addSums(before, row) });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

export function addSums(a: UsageSums, b: UsageSums): UsageSums {
  return {
    requests: a.requests + b.requests,
    items: a.items + b.items,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costNanos: a.costNanos + b.costNanos,
    cacheHits: a.cacheHits + b.cacheHits,
  };
}

export function usageQuerySql(query: UsageQuery, placeholder: Placeholder): { sql: string; params: Param[] } {
  const params: Param[] = [];
  const conditions: string[] = [];
  const where = (condition: (spelled: string) => string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(condition(placeholder(params.length)));
  };
  where((p) => `tenant = ${p}`, query.tenant);
  where((p) => `key_id = ${p}`, query.key);
  where((p) => `model = ${p}`, query.model);
  where((p) => `day >= ${p}`, query.from);
  where((p) => `day <= ${p}`, query.to);
  const groups = [...query.groupBy.map((dimension) => COLUMN_OF[dimension]), 'unit'].join(', ');
  const sums = SUM_COLUMNS.map((sum) => `SUM(${sum}) AS ${sum}`).join(', ');
  const filter = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  const sql = `SELECT ${groups}, ${sums} FROM usage_ledger${filter} GROUP BY ${groups} ORDER BY ${groups}`;
  return { sql, params };
}

/** PostgreSQL hands sums of BIGINT back as text (numeric); SQLite as numbers. */
export type UsageTotalRow = Readonly<Record<string, string | number>>;

export function usageTotalFromRow(row: UsageTotalRow, groupBy: readonly UsageDimension[]): UsageTotal {
  const group: Partial<Record<UsageDimension, string>> = {};
  for (const dimension of groupBy) group[dimension] = String(row[COLUMN_OF[dimension]]);
  return {
    ...group,
    unit: String(row['unit']),
    requests: Number(row['requests']),
    items: Number(row['items']),
    inputTokens: Number(row['input_tokens']),
    outputTokens: Number(row['output_tokens']),
    costNanos: Number(row['cost_nanos']),
    cacheHits: Number(row['cache_hits']),
  };
}
