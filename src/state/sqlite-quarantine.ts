/** The quarantine on SQLite: the SqliteStore's writes and prepared statements, with quarantine-rows.ts's SQL. */
import type Database from 'better-sqlite3';
import {
  INSERT_QUARANTINE_SQL,
  PRUNE_QUARANTINE_SQL,
  clearQuarantineSql,
  modelsOf,
  quarantineFromRow,
  quarantineParams,
  quarantineQuerySql,
  trimQuarantineSql,
  type QuarantineRow,
} from './quarantine-rows.ts';
import type { Store } from './store.ts';

export type QuarantineMethods = Pick<Store, 'addQuarantine' | 'listQuarantine' | 'clearQuarantine' | 'pruneQuarantine'>;

const unnumbered = (): string => '?';

export function sqliteQuarantine(
  write: <T>(work: () => T) => T,
  sql: (text: string) => Database.Statement,
): QuarantineMethods {
  return {
    addQuarantine: async (entries, maxPerModel) =>
      write(() => {
        const insert = sql(INSERT_QUARANTINE_SQL(unnumbered));
        for (const entry of entries) insert.run(...quarantineParams(entry));
        for (const model of modelsOf(entries)) {
          const trim = trimQuarantineSql(model, maxPerModel, unnumbered);
          sql(trim.sql).run(...trim.params);
        }
      }),
    listQuarantine: async (query) => {
      const list = quarantineQuerySql(query, unnumbered);
      return (sql(list.sql).all(...list.params) as QuarantineRow[]).map(quarantineFromRow);
    },
    clearQuarantine: async (model, version) => {
      const clear = clearQuarantineSql(model, version, unnumbered);
      return write(() => sql(clear.sql).run(...clear.params).changes);
    },
    pruneQuarantine: async (before) => write(() => sql(PRUNE_QUARANTINE_SQL(unnumbered)).run(before).changes),
  };
}
