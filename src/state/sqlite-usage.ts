/** The cost ledger on SQLite: the SqliteStore's writes and prepared statements, with usage-rows.ts's SQL. */
import type Database from 'better-sqlite3';
import {
  USAGE_ROWS_PER_INSERT,
  insertUsageSql,
  mergedUsage,
  usageParams,
  usageQuerySql,
  usageTotalFromRow,
  type UsageTotalRow,
} from './usage-rows.ts';
import type { Store } from './store.ts';

export type UsageMethods = Pick<Store, 'addUsage' | 'queryUsage'>;

const unnumbered = (): string => '?';

export function sqliteUsage(write: <T>(work: () => T) => T, sql: (text: string) => Database.Statement): UsageMethods {
  return {
    addUsage: async (rows) =>
      write(() => {
        const merged = mergedUsage(rows);
        for (let start = 0; start < merged.length; start += USAGE_ROWS_PER_INSERT) {
          const chunk = merged.slice(start, start + USAGE_ROWS_PER_INSERT);
          sql(insertUsageSql(chunk.length, unnumbered)).run(chunk.flatMap(usageParams));
        }
      }),
    queryUsage: async (query) => {
      const select = usageQuerySql(query, unnumbered);
      const rows = sql(select.sql).all(...select.params) as UsageTotalRow[];
      return rows.map((row) => usageTotalFromRow(row, query.groupBy));
    },
  };
}
