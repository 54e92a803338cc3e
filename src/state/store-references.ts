/**
 * Remote models' pinned references on both databases: one row per model version, a pin
 * replacing the one before (an upsert both dialects spell alike). The profile is kept as
 * JSON text, as audit details and quarantined payloads are.
 */
import type Database from 'better-sqlite3';
import type { Queryable } from './postgres-migrate.ts';
import { numbered, unnumbered, type Placeholder } from './sql-placeholders.ts';
import type { PinnedReference, Store } from './store.ts';

export type ReferenceMethods = Pick<Store, 'putReference' | 'getReference'>;

interface ReferenceRow {
  readonly model: string;
  readonly version: string;
  readonly pinned_at: string;
  readonly pinned_by: string;
  readonly profile: string;
}

const PUT_SQL = (placeholder: Placeholder): string =>
  `INSERT INTO quality_references (model, version, pinned_at, pinned_by, profile)
   VALUES (${[1, 2, 3, 4, 5].map(placeholder).join(', ')})
   ON CONFLICT (model, version) DO UPDATE SET
     pinned_at = excluded.pinned_at, pinned_by = excluded.pinned_by, profile = excluded.profile`;

const GET_SQL = (placeholder: Placeholder): string =>
  `SELECT model, version, pinned_at, pinned_by, profile FROM quality_references
   WHERE model = ${placeholder(1)} AND version = ${placeholder(2)}`;

function referenceParams(reference: PinnedReference): string[] {
  const { model, version, pinnedAt, pinnedBy, profile } = reference;
  return [model, version, pinnedAt, pinnedBy, JSON.stringify(profile ?? null)];
}

function referenceFromRow(row: ReferenceRow): PinnedReference {
  return {
    model: row.model,
    version: row.version,
    pinnedAt: row.pinned_at,
    pinnedBy: row.pinned_by,
    profile: JSON.parse(row.profile) as unknown,
  };
}

export function sqliteReferences(
  write: <T>(work: () => T) => T,
  sql: (text: string) => Database.Statement,
): ReferenceMethods {
  return {
    putReference: async (reference) => {
      write(() => sql(PUT_SQL(unnumbered)).run(...referenceParams(reference)));
    },
    getReference: async (model, version) => {
      const row = sql(GET_SQL(unnumbered)).get(model, version) as ReferenceRow | undefined;
      return row === undefined ? undefined : referenceFromRow(row);
    },
  };
}

export function postgresReferences(pool: Queryable): ReferenceMethods {
  return {
    putReference: async (reference) => {
      await pool.query(PUT_SQL(numbered), referenceParams(reference));
    },
    getReference: async (model, version) => {
      const { rows } = await pool.query<ReferenceRow>(GET_SQL(numbered), [model, version]);
      return rows[0] === undefined ? undefined : referenceFromRow(rows[0]);
    },
  };
}
