/**
 * The move of the audit log from a row per record into segments (schema step 5,
 * audit-segment-migration.ts), on a database left by the sluice before it: records
 * written as that sluice wrote them, after a checkpoint, still verify once moved.
 * Run from store.contract.ts for every database that outlives a store.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { it, type TestContext } from 'node:test';
import { sealEntries, spelled } from '../audit/chain.ts';
import { signCheckpoint } from '../audit/checkpoint.ts';
import { pruneAudit } from '../audit/prune.ts';
import { verifyStoredChain } from '../audit/verify.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
import type { StoreDatabase } from './store-database.contract.ts';
import { scanned } from './store-fixtures.contract.ts';
import type { AuditEntry, AuditRecord, Store } from './store.ts';
import { storedRecord } from './audit-records.ts';

const SEGMENT_STEP = 5;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

/** Details as an older sluice wrote them: keys in the order made, not sorted; quotes, unicode, big numbers. */
export function oldEntry(n: number): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    actor: n % 7 === 0 ? 'unknown' : `k${n % 3}`,
    action: n % 7 === 0 ? 'auth.failure' : 'inference',
    tenant: n % 7 === 0 ? null : "clinic-ñ's",
    details: { z: n, a: { y: [0.1, 1e21, -0, null], b: `é😀"'\\\n` }, empty: {}, model: 'triage' },
  };
}

/** oldEntry(0) … oldEntry(count - 1) sealed from an empty chain, each with its details as made (keys unsorted). */
export function oldRecords(count: number): AuditRecord[] {
  const entries = Array.from({ length: count }, (_, n) => oldEntry(n));
  return sealEntries(entries.map(spelled))(undefined).map((record, n) => ({
    ...storedRecord(record),
    details: (entries[n] as AuditEntry).details,
  }));
}

function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/** A row of the old audit_records table, its details as JSON.stringify wrote them. */
function oldRow(record: AuditRecord): string {
  const { seq, time, actor, action, tenant, details, prevHash, hash } = record;
  const values = [seq, time, actor, action, tenant, JSON.stringify(details), prevHash, hash];
  return `(${values.map(literal).join(', ')})`;
}

/** The records as an older sluice inserted them into its audit table. */
export function insertOldRows(records: readonly AuditRecord[]): string {
  const columns = 'seq, time, actor, action, tenant, details, prev_hash, hash';
  return `INSERT INTO audit_records (${columns}) VALUES ${records.map(oldRow).join(', ')}`;
}

/** Takes a database at the newest schema back to step 4's audit table, rows and all. */
export async function asBeforeSegments(
  database: Pick<StoreDatabase, 'query'>,
  kind: string,
  records: readonly AuditRecord[],
): Promise<void> {
  await database.query('DROP TABLE audit_segment_keys');
  await database.query('DROP TABLE audit_segments');
  const first = MIGRATIONS.find((migration) => migration.version === 1);
  const steps = (kind === 'postgres' ? first?.postgres : first?.sqlite) ?? [];
  for (const step of steps.filter((sql) => sql.includes('audit_records'))) await database.query(step);
  for (let start = 0; start < records.length; start += 100) {
    await database.query(insertOldRows(records.slice(start, start + 100)));
  }
  await database.query(`DELETE FROM schema_migrations WHERE version = ${SEGMENT_STEP}`);
}

export function runAuditMigrationContract(newDatabase: () => Promise<StoreDatabase>): void {
  it('moves an older database’s audit records into segments of 256, and the chain still verifies', async (t) => {
    const database = await newDatabase();
    const fresh = await database.open();
    const kind = fresh.kind;
    await fresh.close();
    // 700 records, the first 100 pruned behind a signed checkpoint.
    const sealed = oldRecords(700);
    const kept = sealed.slice(100);
    const at100 = sealed[99] as AuditRecord;
    const checkpoint = signCheckpoint({ seq: 100, hash: at100.hash, prunedAt: '2026-02-01T00:00:00.000Z' }, privateKey);
    await asBeforeSegments(database, kind, kept);
    await database.query(
      `INSERT INTO audit_checkpoint (id, seq, hash, pruned_at, signature)
       VALUES (1, 100, ${literal(checkpoint.hash)}, ${literal(checkpoint.prunedAt)}, ${literal(checkpoint.signature)})`,
    );

    const store = await openClosing(t, database);
    const segments = await database.query('SELECT first_seq, last_seq FROM audit_segments ORDER BY first_seq');
    assert.deepEqual(
      segments.map((row) => [Number(row['first_seq']), Number(row['last_seq'])]),
      [
        [101, 256],
        [257, 512],
        [513, 700],
      ],
    );
    const versions = await database.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      versions.map((row) => Number(row['version'])),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, n) => n + 1),
    );
    const last = kept.at(-1) as AuditRecord;
    assert.deepEqual((await verifyStoredChain(store, publicKey, {}, 64)).verdict, {
      ok: true,
      records: 600,
      lastSeq: 700,
      lastHash: last.hash,
    });
    const asRead = kept.map((record) => JSON.parse(JSON.stringify(record)) as unknown);
    assert.deepEqual(await scanned(store, 64), asRead, 'every record as it was, details included');
    assert.deepEqual(await store.auditHead(), { seq: 700, hash: last.hash });
    const unknown = await store.queryAudit({ actor: 'unknown', limit: 1000 });
    assert.deepEqual(
      unknown.map((record) => record.seq),
      kept.filter((record) => record.actor === 'unknown').map((record) => record.seq),
    );
    assert.equal((await store.queryAudit({ tenant: "clinic-ñ's", afterSeq: 690, limit: 1000 })).length, 9);

    const [next] = await store.appendAudit(sealEntries([spelled(oldEntry(700))]));
    assert.deepEqual([next?.seq, next?.prevHash], [701, last.hash], 'appends go on from the moved chain');
    const verdict = (await verifyStoredChain(store, publicKey, {}, 64)).verdict;
    assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [601, 701]);

    // A prune checks the moved lines (their keys in the order written before) and cuts through them, keeping the rest.
    const pruned = await pruneAudit(store, { before: new Date(oldEntry(300).time), signingKey: privateKey });
    assert.deepEqual([pruned.pruned, pruned.checkpoint?.seq], [200, 300]);
    const after = (await verifyStoredChain(store, publicKey, {}, 64)).verdict;
    assert.deepEqual(after.ok && [after.records, after.lastSeq], [401, 701]);
  });
}

async function openClosing(t: TestContext, database: StoreDatabase): Promise<Store> {
  const store = await database.open();
  t.after(() => store.close());
  return store;
}
