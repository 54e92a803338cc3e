/**
 * The Store on PostgreSQL, for replicas that share their state. The audit chain's writes
 * lock its table (postgres-audit.ts), so two replicas never read the same head and fork
 * the chain. Key writes lock the rows they read (FOR UPDATE), and a tenant's deletion
 * locks the tenant, which holds off a key being inserted for it.
 */
import pg from 'pg';
import type { AuditMethods } from './audit-segment-store.ts';
import { KEYS_CHANNEL, listenForKeyChanges } from './postgres-keys-listener.ts';
import { migratePostgres, type Queryable } from './postgres-migrate.ts';
import { postgresAudit } from './postgres-audit.ts';
import {
  KEY_COLUMNS,
  keyFromRow,
  keyParams,
  tenantFromRow,
  tenantParams,
  type KeyRow,
  type TenantRow,
} from './rows.ts';
import { postgresQuarantine } from './postgres-quarantine.ts';
import { postgresReferences } from './store-references.ts';
import { postgresUsage } from './postgres-usage.ts';
import { tenantHasKeys } from './store-rules.ts';
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

export interface PostgresStoreOptions {
  /** A schema to keep the tables in (created if missing) instead of the server's default search_path. */
  readonly schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`"${schema}" is not a schema name sluice uses: lowercase letters, digits and _, not first a digit`);
  }
  const connection: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    // Set at connection start, so every pooled connection sees only this schema's tables.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
  const pool = new pg.Pool(connection);
  // A pooled connection that drops while idle is discarded; the next query opens another.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool, url, schema);
    const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    return new PostgresStore(pool, connection, rows[0]?.schema ?? 'public');
  } catch (error) {
    await pool.end();
    throw error;
  }
}

class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly appendAudit: AuditMethods['appendAudit'];
  readonly queryAudit: AuditMethods['queryAudit'];
  readonly auditSnapshot: AuditMethods['auditSnapshot'];
  readonly auditCheckpoint: AuditMethods['auditCheckpoint'];
  readonly pruneAudit: AuditMethods['pruneAudit'];
  readonly auditHead: AuditMethods['auditHead'];
  private readonly quarantine;
  private readonly usage;
  private readonly references;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: pg.ClientConfig,
    private readonly schema: string,
  ) {
    // The audit methods are the segment core's (audit-segment-store.ts), on this database.
    ({
      appendAudit: this.appendAudit,
      queryAudit: this.queryAudit,
      auditSnapshot: this.auditSnapshot,
      auditCheckpoint: this.auditCheckpoint,
      pruneAudit: this.pruneAudit,
      auditHead: this.auditHead,
    } = postgresAudit(pool, (work) => this.transaction(work)));
    this.quarantine = postgresQuarantine(pool, (work) => this.transaction(work));
    this.usage = postgresUsage(pool, (work) => this.transaction(work));
    this.references = postgresReferences(pool);
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    const insert = 'INSERT INTO tenants (name, priority, weight, created_at) VALUES ($1, $2, $3, $4)';
    await this.pool.query(insert, tenantParams(tenant)).catch((error: unknown) => {
      throw pgCode(error) === UNIQUE_VIOLATION ? new StoreConflictError(`tenant "${tenant.name}" exists`) : error;
    });
  }

  async getTenant(name: string): Promise<TenantRecord | undefined> {
    const { rows } = await this.pool.query<TenantRow>('SELECT * FROM tenants WHERE name = $1', [name]);
    return rows[0] === undefined ? undefined : tenantFromRow(rows[0]);
  }

  async listTenants(): Promise<TenantRecord[]> {
    const { rows } = await this.pool.query<TenantRow>('SELECT * FROM tenants ORDER BY name');
    return rows.map(tenantFromRow);
  }

  async deleteTenant(name: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const found = await client.query('SELECT 1 FROM tenants WHERE name = $1 FOR UPDATE', [name]);
      if (found.rowCount === 0) return false;
      const live = 'SELECT count(*)::int AS n FROM api_keys WHERE tenant = $1 AND revoked_at IS NULL';
      const unrevoked = (await client.query<{ n: number }>(live, [name])).rows[0]?.n ?? 0;
      if (unrevoked > 0) throw tenantHasKeys(name, unrevoked);
      const keys = await client.query('DELETE FROM api_keys WHERE tenant = $1', [name]);
      if ((keys.rowCount ?? 0) > 0) await bumpKeysVersion(client);
      await client.query('DELETE FROM tenants WHERE name = $1', [name]);
      return true;
    });
  }

  async insertKey(key: KeyRecord): Promise<void> {
    await this.transaction(async (client) => {
      await insertKeyRow(client, key);
      await bumpKeysVersion(client);
    });
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    return keyRow(this.pool, id, '');
  }

  async listKeys(tenant?: string): Promise<KeyRecord[]> {
    const { rows } =
      tenant === undefined
        ? await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)
        : await this.pool.query<KeyRow>(
            `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`,
            [tenant],
          );
    return rows.map(keyFromRow);
  }

  async revokeKey(id: string, at: string): Promise<KeyRecord | undefined> {
    return this.transaction(async (client) => {
      const key = await keyRow(client, id, 'FOR UPDATE');
      if (key === undefined || key.revokedAt !== null) return key;
      return markRevoked(client, key, at);
    });
  }

  async rotateKey(id: string, replacement: KeyRecord, at: string): Promise<KeyRecord | undefined> {
    return this.transaction(async (client) => {
      const key = await keyRow(client, id, 'FOR UPDATE');
      if (key === undefined || key.revokedAt !== null) return undefined;
      await insertKeyRow(client, replacement);
      return markRevoked(client, key, at);
    });
  }

  async keysVersion(): Promise<string> {
    const { rows } = await this.pool.query<{ version: string }>('SELECT version FROM keys_version WHERE id = 1');
    return String(rows[0]?.version);
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

  watchKeys(onChange: () => void): Promise<() => Promise<void>> {
    return listenForKeyChanges({ connection: this.connection, schema: this.schema, onChange });
  }

  putReference(reference: PinnedReference): Promise<void> {
    return this.references.putReference(reference);
  }

  getReference(model: string, version: string): Promise<PinnedReference | undefined> {
    return this.references.getReference(model, version);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that cannot even roll back is discarded, not handed to the next caller.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

function pgCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

async function insertKeyRow(client: Queryable, key: KeyRecord): Promise<void> {
  const insert = `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
  await client.query(insert, keyParams(key)).catch((error: unknown) => {
    if (pgCode(error) === UNIQUE_VIOLATION) throw new StoreConflictError(`key ${key.id} exists`);
    if (pgCode(error) === FOREIGN_KEY_VIOLATION) throw new StoreConflictError(`tenant "${key.tenant}" does not exist`);
    throw error;
  });
}

async function keyRow(client: Queryable, id: string, lock: '' | 'FOR UPDATE'): Promise<KeyRecord | undefined> {
  const { rows } = await client.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1 ${lock}`, [id]);
  return rows[0] === undefined ? undefined : keyFromRow(rows[0]);
}

async function markRevoked(client: Queryable, key: KeyRecord, at: string): Promise<KeyRecord> {
  await client.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2', [at, key.id]);
  await bumpKeysVersion(client);
  return { ...key, revokedAt: at };
}

/** Inside the writing transaction: the notice reaches listeners only once the change is committed. */
async function bumpKeysVersion(client: Queryable): Promise<void> {
  await client.query('UPDATE keys_version SET version = version + 1 WHERE id = 1');
  await client.query('SELECT pg_notify($1, current_schema())', [KEYS_CHANNEL]);
}
