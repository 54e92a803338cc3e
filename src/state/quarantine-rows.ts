/**
 * The quarantine's rows and statements, the same for both databases: `placeholder(n)`
 * spells the n-th parameter (`?` for SQLite, `$n` for PostgreSQL). Failures and payloads
 * are kept as JSON text, as the audit log's details are.
 */
import type { QuarantineEntry, QuarantineFailure, QuarantineQuery, QuarantineRecord } from './store.ts';

export interface QuarantineRow {
  readonly id: number | string;
  readonly model: string;
  readonly version: string;
  readonly time: string;
  readonly code: string;
  readonly failures: string;
  readonly failures_total: number;
  readonly payload: string;
}

type Placeholder = (index: number) => string;

const ENTRY_COLUMNS = 'model, version, time, code, failures, failures_total, payload';

export const INSERT_QUARANTINE_SQL = (placeholder: Placeholder): string =>
  `INSERT INTO quality_quarantine (${ENTRY_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7].map(placeholder).join(', ')})`;

/**
 * Deletes a model's entries older than its `max` newest: the id `max` places down is the
 * newest to go; with fewer entries the subquery finds none and nothing is deleted.
 */
export function trimQuarantineSql(
  model: string,
  max: number,
  placeholder: Placeholder,
): { sql: string; params: Array<string | number> } {
  const sql =
    `DELETE FROM quality_quarantine WHERE model = ${placeholder(1)} AND id <= (` +
    `SELECT id FROM quality_quarantine WHERE model = ${placeholder(2)} ORDER BY id DESC LIMIT 1 OFFSET ${placeholder(3)})`;
  return { sql, params: [model, model, max] };
}

export const PRUNE_QUARANTINE_SQL = (placeholder: Placeholder): string =>
  `DELETE FROM quality_quarantine WHERE time < ${placeholder(1)}`;

/** In ENTRY_COLUMNS order. */
export function quarantineParams(entry: QuarantineEntry): Array<string | number> {
  const { model, version, time, code, failures, failuresTotal, payload } = entry;
  return [model, version, time, code, JSON.stringify(failures), failuresTotal, JSON.stringify(payload ?? null)];
}

export function quarantineQuerySql(
  query: QuarantineQuery,
  placeholder: Placeholder,
): { sql: string; params: Array<string | number> } {
  const params: Array<string | number> = [query.model, query.since];
  const conditions = [`model = ${placeholder(1)}`, `time >= ${placeholder(2)}`];
  if (query.version !== undefined) {
    params.push(query.version);
    conditions.push(`version = ${placeholder(params.length)}`);
  }
  if (query.beforeId !== undefined) {
    params.push(query.beforeId);
    conditions.push(`id < ${placeholder(params.length)}`);
  }
  params.push(Math.max(0, Math.floor(query.limit)));
  const sql =
    `SELECT id, ${ENTRY_COLUMNS} FROM quality_quarantine WHERE ${conditions.join(' AND ')}` +
    ` ORDER BY id DESC LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

export function clearQuarantineSql(
  model: string,
  version: string | undefined,
  placeholder: Placeholder,
): { sql: string; params: string[] } {
  if (version === undefined) {
    return { sql: `DELETE FROM quality_quarantine WHERE model = ${placeholder(1)}`, params: [model] };
  }
  const sql = `DELETE FROM quality_quarantine WHERE model = ${placeholder(1)} AND version = ${placeholder(2)}`;
  return { sql, params: [model, version] };
}

export function quarantineFromRow(row: QuarantineRow): QuarantineRecord {
  return {
    id: Number(row.id),
    model: row.model,
    version: row.version,
    time: row.time,
    code: row.code,
    failures: JSON.parse(row.failures) as QuarantineFailure[],
    failuresTotal: Number(row.failures_total),
    payload: JSON.parse(row.payload) as unknown,
  };
}

/** The models of a batch, once each: each is trimmed to its bound after the batch is in. */
export function modelsOf(entries: readonly QuarantineEntry[]): string[] {
  return [...new Set(entries.map((entry) => entry.model))];
}
