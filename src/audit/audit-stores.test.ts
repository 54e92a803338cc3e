/**
 * The audit log end to end on every store: what the writer seals verifies after the round
 * trip through the database, two writers sharing one database never fork the chain,
 * tampering with SQL is named, and pruning keeps the chain verifiable.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { openPostgresStore } from '../state/postgres-store.ts';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { AuditEntry, Store } from '../state/store.ts';
import { createAuditLog } from './audit-log.ts';
import { pruneAudit } from './prune.ts';
import { verifyAuditChain, type ChainVerdict } from './verify.ts';

/** Two connections to one fresh database (as two replicas would hold), and plain SQL on it. */
interface SharedDatabase {
  open(): Promise<Store>;
  sql(statement: string): Promise<void>;
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
        db.exec(statement);
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
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
  };
}

const { privateKey: signingKey, publicKey } = generateKeyPairSync('ed25519');

/** Details a database could change on the way: key order, unicode, awkward numbers, nesting. */
function entry(n: number, time = new Date(Date.UTC(2026, 0, 1) + n * 1000)): AuditEntry {
  return {
    time: time.toISOString(),
    actor: n % 7 === 0 ? 'unknown' : `k${n % 3}`,
    action: n % 7 === 0 ? 'auth.failure' : 'inference',
    tenant: n % 7 === 0 ? null : 'clinic-ñ',
    details: { z: n, a: { y: [0.1, 1e21, -0, null], b: 'é😀"\\\n' }, empty: {}, model: 'triage', n },
  };
}

async function verify(store: Store): Promise<ChainVerdict> {
  return verifyAuditChain(store.scanAudit(50), await store.auditCheckpoint(), publicKey);
}

async function write(store: Store, entries: readonly AuditEntry[]): Promise<void> {
  const log = createAuditLog(store, { flushIntervalMs: 5, maxBatch: 16 });
  for (const one of entries) log.record(one);
  await log.close();
}

const backends: [string, () => Promise<SharedDatabase>][] = [
  ['SQLite file', async () => sqliteFile()],
  ['PostgreSQL', postgresSchema],
];

for (const [name, fresh] of backends) {
  describe(`the audit log on ${name}`, () => {
    test('what the writer sealed verifies after the round trip, its details as written', async (t) => {
      const store = await (await fresh()).open();
      t.after(() => store.close());
      const entries = Array.from({ length: 100 }, (_, n) => entry(n));
      await write(store, entries);
      assert.deepEqual(await verify(store), {
        ok: true,
        records: 100,
        lastSeq: 100,
        lastHash: (await store.auditHead())?.hash,
      });
      const stored = await store.queryAudit({ limit: 1000 });
      assert.deepEqual(
        stored.map(({ time, actor, action, tenant, details }) => ({ time, actor, action, tenant, details })),
        JSON.parse(JSON.stringify(entries)),
      );
    });

    test('two writers on one database (two replicas) make one chain', async (t) => {
      const database = await fresh();
      const [one, two] = [await database.open(), await database.open()];
      t.after(() => Promise.all([one.close(), two.close()]));
      await Promise.all([
        write(
          one,
          Array.from({ length: 200 }, (_, n) => entry(n)),
        ),
        write(
          two,
          Array.from({ length: 200 }, (_, n) => entry(1000 + n)),
        ),
      ]);
      const verdict = await verify(one);
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [400, 400]);
    });

    const tampering: [string, string, [number, string]][] = [
      ['an edited record', `UPDATE audit_records SET actor = 'k9' WHERE seq = 12`, [12, 'edited']],
      ['a deleted record', 'DELETE FROM audit_records WHERE seq = 12', [12, 'gap']],
      [
        'two records reordered',
        'UPDATE audit_records SET seq = -seq WHERE seq IN (12, 13); UPDATE audit_records SET seq = CASE seq WHEN -12 THEN 13 ELSE 12 END WHERE seq < 0',
        [12, 'edited'],
      ],
    ];
    for (const [what, sql, [seq, fault]] of tampering) {
      test(`names the first bad record after ${what} with SQL`, async (t) => {
        const database = await fresh();
        const store = await database.open();
        t.after(() => store.close());
        await write(
          store,
          Array.from({ length: 20 }, (_, n) => entry(n)),
        );
        await database.sql(sql);
        const verdict = await verify(store);
        assert.deepEqual(!verdict.ok && [verdict.seq, verdict.fault], [seq, fault]);
      });
    }

    test('pruning keeps the chain verifiable as it grows', async (t) => {
      const store = await (await fresh()).open();
      t.after(() => store.close());
      await write(
        store,
        Array.from({ length: 30 }, (_, n) => entry(n)),
      );
      const { pruned, checkpoint } = await pruneAudit(store, { before: new Date(entry(20).time), signingKey });
      assert.deepEqual([pruned, checkpoint?.seq], [20, 20]);
      await write(
        store,
        Array.from({ length: 5 }, (_, n) => entry(30 + n)),
      );
      const verdict = await verify(store);
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [15, 35]);
    });
  });
}
