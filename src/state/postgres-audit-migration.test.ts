/**
 * What only PostgreSQL shows of the move into segments (schema step 5): a replica of an
 * earlier sluice, on a connection of its own, appending to audit_records while the move runs.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { verifyStoredChain } from '../audit/verify.ts';
import { openPostgresStore } from './postgres-store.ts';
import { asBeforeSegments, insertOldRows, oldRecords } from './store-audit-migration.contract.ts';
import type { AuditRecord } from './store.ts';

let postgres: Promise<PostgresForTests> | undefined;
const server = (): Promise<PostgresForTests> => (postgres ??= postgresForTests());
after(async () => (await postgres?.catch(() => undefined))?.stop());

async function connect(t: TestContext, url: string, schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  t.after(() => client.end());
  return client;
}

/** Resolves once a session waits for a lock on the schema's audit_records. */
async function waitsForAuditRecords(client: pg.Client, schema: string): Promise<void> {
  const waiting = `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE NOT l.granted AND c.relname = 'audit_records' AND c.relnamespace = $1::regnamespace`;
  for (let tries = 0; tries < 500; tries += 1) {
    if ((await client.query(waiting, [schema])).rowCount !== 0) return;
    await sleep(10);
  }
  throw new Error('nothing waited for audit_records');
}

describe('the move into segments on PostgreSQL', () => {
  it('moves a batch an earlier replica commits during the move, and that replica’s next append fails', async (t) => {
    const { url, schema } = await server();
    const name = schema();
    await (await openPostgresStore(url, { schema: name })).close();
    const sql = await connect(t, url, name);
    const sealed = oldRecords(301);
    await asBeforeSegments({ query: async (text) => (await sql.query(text)).rows }, 'postgres', sealed.slice(0, 300));

    // An earlier replica in the middle of an append: the chain locked, its batch not yet committed.
    const older = await connect(t, url, name);
    await older.query('BEGIN');
    await older.query('LOCK TABLE audit_records IN EXCLUSIVE MODE');
    await older.query(insertOldRows(sealed.slice(300)));
    const opening = openPostgresStore(url, { schema: name });
    opening.catch(() => {});
    await waitsForAuditRecords(sql, name);
    await older.query('COMMIT');
    const store = await opening;
    t.after(() => store.close());

    const { verdict } = await verifyStoredChain(store, undefined, {}, 64);
    const last = sealed.at(-1) as AuditRecord;
    assert.deepEqual(verdict, { ok: true, records: 301, lastSeq: 301, lastHash: last.hash }, 'seq 301 was moved');
    await older.query('BEGIN');
    await assert.rejects(
      older.query('LOCK TABLE audit_records IN EXCLUSIVE MODE'),
      /relation "audit_records" does not exist/,
    );
    await older.query('ROLLBACK');
  });
});
