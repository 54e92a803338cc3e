/** The one place that picks the database: PostgreSQL when a URL is configured, else the SQLite file. */
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** `database.url`; set, it wins over the SQLite file. */
  readonly databaseUrl?: string;
  readonly sqlitePath: string;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') return openPostgresStore(options.databaseUrl);
  return openSqliteStore(options.sqlitePath);
}
