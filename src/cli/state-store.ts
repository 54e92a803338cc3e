/** The configured state store, for `serve` and the CLI's keys, tenants and audit commands. */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openStore } from '../state/open-store.ts';
import type { Store } from '../state/store.ts';

export const SQLITE_FILE = 'sluice.db';

export function openConfiguredStore(config: Readonly<Config>): Promise<Store> {
  return openStore({
    ...(config.database.url === undefined ? {} : { databaseUrl: config.database.url }),
    sqlitePath: join(config.state.directory, SQLITE_FILE),
  });
}
