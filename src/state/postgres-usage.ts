/** The cost ledger on PostgreSQL: the PostgresStore's pool and transactions, with usage-rows.ts's SQL. */
import type pg from 'pg';
import type { Queryable } from './postgres-migrate.ts';
import type { UsageMethods } from './sqlite-usage.ts';
import {
  USAGE_ROWS_PER_INSERT,
  insertUsageSql,
  mergedUsage,
  usageParams,
  usageQuerySql,
  usageTotalFromRow,
  type UsageTotalRow,
} from './usage-rows.ts';

const numbered = (index: number): string => `$${index}`;

export function postgresUsage(
  pool: Queryable,
  transaction: (work: (client: pg.PoolClient) => Promise<void>) => Promise<void>,
): UsageMethods {
  return {
    addUsage: (rows) =>
      transaction(async (client) => {
        const merged = mergedUsage(rows);
        for (let start = 0; start < merged.length; start += USAGE_ROWS_PER_INSERT) {
          const chunk = merged.slice(start, start + USAGE_ROWS_PER_INSERT);
          await client.query(insertUsageSql(chunk.length, numbered), chunk.flatMap(usageParams));
        }
      }),
    queryUsage: async (query) => {
      const select = usageQuerySql(query, numbered);
      const { rows } = await pool.query<UsageTotalRow>(select.sql, select.params);
      return rows.map((row) => usageTotalFromRow(row, query.groupBy));
    },
  };
}
