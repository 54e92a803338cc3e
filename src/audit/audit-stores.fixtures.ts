/**
 * The audit log's tests on every store: one fresh database at a time that two stores (as two
 * replicas would) and plain SQL (as someone with write access would) reach, records to write,
 * and the SQL edits of a segment's lines that tampering tests make.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { openPostgresStore } from '../state/postgres-store.ts';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { AuditEntry, Store } from '../state/store.ts';
import { createAuditLog } from './audit-log.ts';
import { verifyStoredChain, type ChainVerdict } from './verify.ts';

/** Two connections to one fresh database (as two replicas would hold), and plain SQL on it. */
export interface SharedDatabase {
  open(): Promise<Store>;
  sql(statement: string): Promise<Array<Record<string, unknown>>>;
}

const directory = mkdtempSync(join(tmpdir(), 'sluice-audit-stores-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

function sqliteFile(): SharedDatabase {
  const path = join(directory, `db-${++files}`, 'sluice.db');
  return {
    open: async () => openSqliteStore(path),
    sql: async (statement) => {
      const db = new Database(path);
      try {
        const prepared = db.prepare(statement);
        return prepared.reader ? (prepared.all() as Array<Record<string, unknown>>) : (prepared.run(), []);
      } finally {
        db.close();
      }
    },
  };
}

let postgres: Promise<PostgresForTests> | undefined;
const server = (): Promise<PostgresForTests> => (postgres ??= postgresForTests());
after(async () => (await postgres?.catch(() => undefined))?.stop());

async function postgresSchema(): Promise<SharedDatabase> {
  const { url, schema } = await server();
  const name = schema();
  return {
    open: () => openPostgresStore(url, { schema: name }),
    sql: async (statement) => {
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${name}` });
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(statement)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

export const { privateKey: signingKey, publicKey } = generateKeyPairSync('ed25519');

/** Details a database could change on the way: key order, unicode, awkward numbers, nesting. */
export function entry(n: number, time = new Date(Date.UTC(2026, 0, 1) + n * 1000)): AuditEntry {
  return {
    time: time.toISOString(),
    actor: n % 7 === 0 ? 'unknown' : `k${n % 3}`,
    action: n % 7 === 0 ? 'auth.failure' : 'inference',
    tenant: n % 7 === 0 ? null : 'clinic-ñ',
    details: { z: n, a: { y: [0.1, 1e21, -0, null], b: 'é😀"\\\n' }, empty: {}, model: 'triage', n },
  };
}

/** The store's chain verified in one snapshot, 50 records a page. */
export async function verify(store: Store): Promise<ChainVerdict> {
  return (await verifyStoredChain(store, publicKey, {}, 50)).verdict;
}

/** Through the batched writer, 16 records a segment. */
export async function write(store: Store, entries: readonly AuditEntry[]): Promise<void> {
  const log = createAuditLog(store, { flushIntervalMs: 5, maxBatch: 16 });
  for (const one of entries) log.record(one);
  await log.close();
}

/** Each database's name, and how to make a fresh one. */
export const backends: [string, () => Promise<SharedDatabase>][] = [
  ['SQLite file', async () => sqliteFile()],
  ['PostgreSQL', postgresSchema],
];

/** Rewrites the lines of the segment holding `seq`, as someone with write access to the database could. */
export async function editLines(database: SharedDatabase, seq: number, change: (lines: string[]) => string[]) {
  const [row] = await database.sql(
    `SELECT first_seq, records FROM audit_segments WHERE first_seq <= ${seq} ORDER BY first_seq DESC LIMIT 1`,
  );
  const text = change(String(row?.['records']).split('\n')).join('\n');
  const firstSeq = Number(row?.['first_seq']);
  await database.sql(
    `UPDATE audit_segments SET records = '${text.replaceAll("'", "''")}' WHERE first_seq = ${firstSeq}`,
  );
}

/** The index of the `nth` line holding seq `seq`. */
export function lineOf(lines: readonly string[], seq: number, nth = 0): number {
  const at = lines.flatMap((line, index) => ((JSON.parse(line) as { seq?: unknown }).seq === seq ? [index] : []))[nth];
  assert.ok(at !== undefined, `a line for seq ${seq}`);
  return at;
}

export function changeRecord(
  lines: readonly string[],
  seq: number,
  change: Record<string, unknown>,
  nth = 0,
): string[] {
  const at = lineOf(lines, seq, nth);
  return lines.map((line, index) =>
    index === at ? JSON.stringify({ ...(JSON.parse(line) as Record<string, unknown>), ...change }) : line,
  );
}

export function swap(lines: readonly string[], a: number, b: number): string[] {
  const [at, bt] = [lineOf(lines, a), lineOf(lines, b)];
  return lines.map((line, index) => (index === at ? lines[bt] : index === bt ? lines[at] : line) ?? line);
}
