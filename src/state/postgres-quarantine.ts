/** The quarantine on PostgreSQL: the PostgresStore's pool and transactions, with quarantine-rows.ts's SQL. */
import type pg from 'pg';
import type { Queryable } from './postgres-migrate.ts';
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
import type { QuarantineMethods } from './sqlite-quarantine.ts';

const numbered = (index: number): string => `$${index}`;

export function postgresQuarantine(
  pool: Queryable,
  transaction: (work: (client: pg.PoolClient) => Promise<void>) => Promise<void>,
): QuarantineMethods {
  return {
    addQuarantine: (entries, maxPerModel) =>
      transaction(async (client) => {
        for (const entry of entries) await client.query(INSERT_QUARANTINE_SQL(numbered), quarantineParams(entry));
        for (const model of modelsOf(entries)) {
          const trim = trimQuarantineSql(model, maxPerModel, numbered);
          await client.query(trim.sql, trim.params);
        }
      }),
    listQuarantine: async (query) => {
      const list = quarantineQuerySql(query, numbered);
      return (await pool.query<QuarantineRow>(list.sql, list.params)).rows.map(quarantineFromRow);
    },
    clearQuarantine: async (model, version) => {
      const clear = clearQuarantineSql(model, version, numbered);
      return (await pool.query(clear.sql, clear.params)).rowCount ?? 0;
    },
    pruneQuarantine: async (before) => (await pool.query(PRUNE_QUARANTINE_SQL(numbered), [before])).rowCount ?? 0,
  };
}
