/**
 * The Store on SQLite (better-sqlite3): one file, or ':memory:' for tests. better-sqlite3
 * is synchronous, so each method does its work before its promise settles. Every write
 * begins IMMEDIATE, taking the database's write lock before it reads: two processes on
 * one file then queue (busy_timeout) instead of both reading the same chain head and
 * forking it, which a deferred transaction would allow until its first write.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { tenantHasKeys } from './store-rules.ts';
import { pendingMigrations } from './migrations.ts';
import {
  KEY_COLUMNS,
  keyFromRow,
  keyParams,
  tenantFromRow,
  tenantParams,
  type KeyRow,
  type TenantRow,
} from './rows.ts';
import { sqliteAudit } from './sqlite-audit.ts';
import { sqliteQuarantine } from './sqlite-quarantine.ts';
import { sqliteReferences } from './store-references.ts';
import { sqliteUsage } from './sqlite-usage.ts';
import { StoreConflictError } from './store.ts';
import type {
  KeyRecord,
  PinnedReference,
  QuarantineEntry,
  QuarantineQuery,
  QuarantineRecord,
  Store,
  TenantRecord,
  UsageQuery,
  UsageRow,
  UsageTotal,
} from './store.ts';

const NEW_FILE_PAGE_BYTES = 16 * 1024;
const WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024;
const WAL_FILE_LIMIT_BYTES = 64 * 1024 * 1024;

/** How long a write waits for another process's write to finish before it fails. */
const BUSY_TIMEOUT_MS = 5_000;

function pageBytes(db: Database.Database): number {
  return Number(db.pragma('page_size', { simple: true }));
}

export function openSqliteStore(path: string): Store {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // A new file's pages are 16 KB, not 4 KB: an audit segment (a batch's records) is one large
    // row, written as a chain of overflow pages, and fewer, larger pages write it for less
    // (docs/benchmarks.md, the audit). An existing file keeps its size.
    if (!inMemory) db.pragma(`page_size = ${NEW_FILE_PAGE_BYTES}`);
    if (!inMemory) db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL never corrupts the file and survives a crash of the process; only a
    // power loss can undo the last commits. FULL syncs every commit, a share of each audit batch.
    if (!inMemory) db.pragma('synchronous = NORMAL');
    // A checkpoint (the WAL copied into the file, then two fsyncs) every 40 MB of WAL instead of
    // SQLite's 1,000 pages: the audit log writes a record an inference, and rarer checkpoints
    // cost it less (docs/benchmarks.md). Past a checkpoint the WAL file is cut back to 64 MB,
    // should a long reader have let it grow beyond.
    if (!inMemory) db.pragma(`wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / pageBytes(db))}`);
    if (!inMemory) db.pragma(`journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
  for (const migration of pendingMigrations(applied, path)) {
    db.transaction(() => {
      // Another process may have applied it since the look above.
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version)) return;
      for (const statement of migration.sqlite) db.exec(statement);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  // The audit methods are the segment core's (audit-segment-store.ts), on this database.
  private readonly audit = sqliteAudit(
    () => this.db,
    (work) => this.write(work),
    (text) => this.sql(text),
  );
  readonly appendAudit = this.audit.appendAudit;
  readonly queryAudit = this.audit.queryAudit;
  readonly auditSnapshot = this.audit.auditSnapshot;
  readonly auditCheckpoint = this.audit.auditCheckpoint;
  readonly pruneAudit = this.audit.pruneAudit;
  readonly auditHead = this.audit.auditHead;
  private readonly quarantine = sqliteQuarantine(
    (work) => this.write(work),
    (text) => this.sql(text),
  );
  private readonly usage = sqliteUsage(
    (work) => this.write(work),
    (text) => this.sql(text),
  );
  private readonly references = sqliteReferences(
    (work) => this.write(work),
    (text) => this.sql(text),
  );

  constructor(private readonly db: Database.Database) {}

  async createTenant(tenant: TenantRecord): Promise<void> {
    const insert = 'INSERT INTO tenants (name, priority, weight, created_at) VALUES (?, ?, ?, ?)';
    try {
      this.write(() => this.sql(insert).run(...tenantParams(tenant)));
    } catch (error) {
      if (isConstraint(error, 'PRIMARYKEY')) throw new StoreConflictError(`tenant "${tenant.name}" exists`);
      throw error;
    }
  }

  async getTenant(name: string): Promise<TenantRecord | undefined> {
    const row = this.sql('SELECT * FROM tenants WHERE name = ?').get(name) as TenantRow | undefined;
    return row === undefined ? undefined : tenantFromRow(row);
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (this.sql('SELECT * FROM tenants ORDER BY name').all() as TenantRow[]).map(tenantFromRow);
  }

  async deleteTenant(name: string): Promise<boolean> {
    return this.write(() => {
      if (this.sql('SELECT 1 FROM tenants WHERE name = ?').get(name) === undefined) return false;
      const live = this.sql('SELECT count(*) FROM api_keys WHERE tenant = ? AND revoked_at IS NULL');
      const unrevoked = live.pluck().get(name) as number;
      if (unrevoked > 0) throw tenantHasKeys(name, unrevoked);
      if (this.sql('DELETE FROM api_keys WHERE tenant = ?').run(name).changes > 0) this.bumpKeysVersion();
      this.sql('DELETE FROM tenants WHERE name = ?').run(name);
      return true;
    });
  }

  async insertKey(key: KeyRecord): Promise<void> {
    this.write(() => {
      this.insertKeyRow(key);
      this.bumpKeysVersion();
    });
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    return this.keyRow(id);
  }

  async listKeys(tenant?: string): Promise<KeyRecord[]> {
    const rows =
      tenant === undefined
        ? this.sql(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`).all()
        : this.sql(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = ? ORDER BY created_at, id`).all(tenant);
    return (rows as KeyRow[]).map(keyFromRow);
  }

  async revokeKey(id: string, at: string): Promise<KeyRecord | undefined> {
    return this.write(() => {
      const key = this.keyRow(id);
      if (key === undefined || key.revokedAt !== null) return key;
      return this.markRevoked(key, at);
    });
  }

  async rotateKey(id: string, replacement: KeyRecord, at: string): Promise<KeyRecord | undefined> {
    return this.write(() => {
      const key = this.keyRow(id);
      if (key === undefined || key.revokedAt !== null) return undefined;
      this.insertKeyRow(replacement);
      return this.markRevoked(key, at);
    });
  }

  async keysVersion(): Promise<string> {
    return String(this.sql('SELECT version FROM keys_version WHERE id = 1').pluck().get());
  }

  addQuarantine(entries: readonly QuarantineEntry[], maxPerModel: number): Promise<void> {
    return this.quarantine.addQuarantine(entries, maxPerModel);
  }

  listQuarantine(query: QuarantineQuery): Promise<QuarantineRecord[]> {
    return this.quarantine.listQuarantine(query);
  }

  clearQuarantine(model: string, version?: string): Promise<number> {
    return this.quarantine.clearQuarantine(model, version);
  }

  pruneQuarantine(before: string): Promise<number> {
    return this.quarantine.pruneQuarantine(before);
  }

  addUsage(rows: readonly UsageRow[]): Promise<void> {
    return this.usage.addUsage(rows);
  }

  queryUsage(query: UsageQuery): Promise<UsageTotal[]> {
    return this.usage.queryUsage(query);
  }

  putReference(reference: PinnedReference): Promise<void> {
    return this.references.putReference(reference);
  }

  getReference(model: string, version: string): Promise<PinnedReference | undefined> {
    return this.references.getReference(model, version);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** One IMMEDIATE transaction: the write lock is taken before the first read. */
  private write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /** Prepared once per text: better-sqlite3 statements are reusable. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private keyRow(id: string): KeyRecord | undefined {
    const row = this.sql(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id) as KeyRow | undefined;
    return row === undefined ? undefined : keyFromRow(row);
  }

  private insertKeyRow(key: KeyRecord): void {
    try {
      this.sql(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(...keyParams(key));
    } catch (error) {
      if (isConstraint(error, 'PRIMARYKEY')) throw new StoreConflictError(`key ${key.id} exists`);
      if (isConstraint(error, 'FOREIGNKEY')) throw new StoreConflictError(`tenant "${key.tenant}" does not exist`);
      throw error;
    }
  }

  private markRevoked(key: KeyRecord, at: string): KeyRecord {
    this.sql('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(at, key.id);
    this.bumpKeysVersion();
    return { ...key, revokedAt: at };
  }

  private bumpKeysVersion(): void {
    this.sql('UPDATE keys_version SET version = version + 1 WHERE id = 1').run();
  }
}

function isConstraint(error: unknown, kind: 'PRIMARYKEY' | 'FOREIGNKEY'): boolean {
  return error instanceof Database.SqliteError && error.code === `SQLITE_CONSTRAINT_${kind}`;
}
