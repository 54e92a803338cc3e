/**
 * The store's grouping (`Store.queryUsage`) done on rows in memory, so a read can add the
 * rows not yet written to those that are, and the merge of the two.
 */
import type { UsageDimension, UsageQuery, UsageRow, UsageSums, UsageTotal } from '../../state/store.ts';
import { addSums } from '../../state/usage-rows.ts';

/** Whether a row passes the query's filters (days compare as text, YYYY-MM-DD). */
export function matches(row: UsageRow, query: UsageQuery): boolean {
  return (
    (query.tenant === undefined || row.tenant === query.tenant) &&
    (query.key === undefined || row.key === query.key) &&
    (query.model === undefined || row.model === query.model) &&
    (query.from === undefined || row.day >= query.from) &&
    (query.to === undefined || row.day <= query.to)
  );
}

/** The totals of `stored` (already grouped by the store) and of the unwritten `rows`, added group by group, sorted. */
export function withUnwritten(
  stored: readonly UsageTotal[],
  rows: readonly UsageRow[],
  query: UsageQuery,
): UsageTotal[] {
  const groups = new Map<string, UsageTotal>();
  const add = (total: UsageTotal) => {
    const id = groupId(total, query.groupBy);
    const before = groups.get(id);
    groups.set(id, before === undefined ? total : { ...before, ...addSums(before, total) });
  };
  stored.forEach(add);
  for (const row of rows) if (matches(row, query)) add(totalOf(row, query.groupBy));
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, total]) => total);
}

function totalOf(row: UsageRow, groupBy: readonly UsageDimension[]): UsageTotal {
  const group: Partial<Record<UsageDimension, string>> = {};
  for (const dimension of groupBy) group[dimension] = row[dimension];
  const sums: UsageSums = {
    requests: row.requests,
    items: row.items,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costNanos: row.costNanos,
    cacheHits: row.cacheHits,
  };
  return { ...group, unit: row.unit, ...sums };
}

/** Sorts as the grouped values then the unit do, in order. */
function groupId(total: UsageTotal, groupBy: readonly UsageDimension[]): string {
  return [...groupBy.map((dimension) => total[dimension] ?? ''), total.unit].join('\u0000');
}
