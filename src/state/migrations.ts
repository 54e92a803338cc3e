/**
 * The schema of the lasting state, as numbered steps run at open. A database remembers the
 * steps it has had in `schema_migrations` (version, applied_at); opening runs the ones it
 * lacks, in order, each in its own transaction, and refuses a database some newer sluice
 * has already taken past the last step this code knows. Steps are append-only: a released
 * one is never edited, a change is a new step.
 *
 * Both dialects keep times, scopes, models and details as text: the audit hash is computed
 * over the entry as written, and `jsonb` or `timestamptz` would hand back a different
 * spelling (keys reordered, another time format) than the one that was sealed.
 */
import { auditSegmentSteps } from './audit-segment-migration.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

const AUDIT_INDEXES = ['time', 'actor', 'action', 'tenant'].map(
  // With seq second, a filter on one column reads its records already in seq order.
  (column) => `CREATE INDEX audit_records_${column} ON audit_records (${column}, seq)`,
);

const QUARANTINE_INDEXES = [
  // A model's rows newest first (listing, paging, the bound per model); expiry by time.
  `CREATE INDEX quality_quarantine_model ON quality_quarantine (model, id)`,
  `CREATE INDEX quality_quarantine_time ON quality_quarantine (time)`,
];

/** One row per tenant, key, model, version, day and unit, its sums added into by every replica's flushes. */
function usageTable(whole: string): string {
  const sums = ['requests', 'items', 'input_tokens', 'output_tokens', 'cost_nanos', 'cache_hits'];
  return `CREATE TABLE usage_ledger (
    tenant TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, day TEXT NOT NULL,
    unit TEXT NOT NULL, ${sums.map((sum) => `${sum} ${whole} NOT NULL`).join(', ')},
    PRIMARY KEY (tenant, key_id, model, version, day, unit))`;
}

// The primary key serves filters by tenant; a range of days (every tenant) reads this one.
const USAGE_DAY_INDEX = `CREATE INDEX usage_ledger_day ON usage_ledger (day)`;

const REFERENCES_TABLE = `CREATE TABLE quality_references (
  model TEXT NOT NULL, version TEXT NOT NULL, pinned_at TEXT NOT NULL, pinned_by TEXT NOT NULL, profile TEXT NOT NULL,
  PRIMARY KEY (model, version))`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, API keys, the audit log',
    sqlite: [
      `CREATE TABLE tenants (name TEXT PRIMARY KEY, priority INTEGER, weight REAL NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants (name) ON DELETE CASCADE,
        scopes TEXT NOT NULL, models TEXT, hash TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)`,
      `CREATE INDEX api_keys_tenant ON api_keys (tenant)`,
      `CREATE TABLE keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`,
      `INSERT INTO keys_version (id, version) VALUES (1, 0)`,
      `CREATE TABLE audit_records (
        seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        tenant TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
      ...AUDIT_INDEXES,
      `CREATE TABLE audit_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL,
        pruned_at TEXT NOT NULL, signature TEXT NOT NULL)`,
    ],
    postgres: [
      `CREATE TABLE tenants (
        name TEXT PRIMARY KEY, priority INTEGER, weight DOUBLE PRECISION NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants (name) ON DELETE CASCADE,
        scopes TEXT NOT NULL, models TEXT, hash TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)`,
      `CREATE INDEX api_keys_tenant ON api_keys (tenant)`,
      `CREATE TABLE keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)`,
      `INSERT INTO keys_version (id, version) VALUES (1, 0)`,
      `CREATE TABLE audit_records (
        seq BIGINT PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        tenant TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
      ...AUDIT_INDEXES,
      `CREATE TABLE audit_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL,
        pruned_at TEXT NOT NULL, signature TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'the quarantine of rejected payloads',
    sqlite: [
      // AUTOINCREMENT: an id is never reused after the newest rows are deleted, so paging by id stays sound.
      `CREATE TABLE quality_quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version TEXT NOT NULL, time TEXT NOT NULL,
        code TEXT NOT NULL, failures TEXT NOT NULL, failures_total INTEGER NOT NULL, payload TEXT NOT NULL)`,
      ...QUARANTINE_INDEXES,
    ],
    postgres: [
      `CREATE TABLE quality_quarantine (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL,
        time TEXT NOT NULL, code TEXT NOT NULL, failures TEXT NOT NULL, failures_total INTEGER NOT NULL,
        payload TEXT NOT NULL)`,
      ...QUARANTINE_INDEXES,
    ],
  },
  {
    version: 3,
    name: 'the cost ledger',
    sqlite: [usageTable('INTEGER'), USAGE_DAY_INDEX],
    postgres: [usageTable('BIGINT'), USAGE_DAY_INDEX],
  },
  {
    version: 4,
    name: "remote models' pinned references",
    // One row per model version: a pin replaces the one before. The profile is JSON text, as details are.
    sqlite: [REFERENCES_TABLE],
    postgres: [REFERENCES_TABLE],
  },
  {
    version: 5,
    name: 'the audit log in segments',
    sqlite: auditSegmentSteps('sqlite'),
    postgres: auditSegmentSteps('postgres'),
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/** The steps a database that has had `applied` still needs, in order; refuses one newer than this code. */
export function pendingMigrations(applied: readonly number[], where: string): Migration[] {
  const newest = Math.max(0, ...applied);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `the database at ${where} is at schema version ${newest}, newer than version ${LATEST_SCHEMA_VERSION}` +
        ` that this sluice knows: run a sluice at least as new as the one that migrated it`,
    );
  }
  const done = new Set(applied);
  return MIGRATIONS.filter((migration) => !done.has(migration.version)).sort((a, b) => a.version - b.version);
}
