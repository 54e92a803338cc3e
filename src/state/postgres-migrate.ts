/**
 * Brings a PostgreSQL database to the schema this code knows (src/state/migrations.ts).
 * Each step runs in its own transaction under a transaction-level advisory lock, so two
 * replicas starting together apply each step once, and a lock never outlives its
 * transaction on a pooled connection.
 */
import type pg from 'pg';
import { pendingMigrations } from './migrations.ts';

export type Queryable = pg.Pool | pg.PoolClient;

/** Any constant shared by every sluice: it names the lock, server-wide. */
const MIGRATION_LOCK = 0x511ce;

export async function migratePostgres(pool: pg.Pool, url: string, schema: string | undefined): Promise<void> {
  const client = await pool.connect().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${reason}`, { cause: error });
  });
  const where = `${redactUrl(url)}${schema === undefined ? '' : ` (schema ${schema})`}`;
  try {
    const applied = await locked(client, async () => {
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)',
      );
      return (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows;
    });
    const pending = pendingMigrations(
      applied.map((row) => row.version),
      where,
    );
    for (const migration of pending) {
      await locked(client, async () => {
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (done.rowCount !== 0) return;
        for (const statement of migration.postgres) await client.query(statement);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [
          migration.version,
        ]);
      });
    }
  } finally {
    client.release();
  }
}

async function locked<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    // Not a URL (a libpq key=value string, say): drop anything that looks like a password.
    return url.replace(/(password\s*=\s*)\S+/gi, '$1***').replace(/\/\/([^:/@]*):[^@]*@/, '//$1@');
  }
}
