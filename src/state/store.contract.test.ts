import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { runStoreContract, type StoreDatabase } from './store.contract.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-store-'));
let files = 0;
// A directory per file that does not exist yet: opening creates it.
const newFile = (): string => join(directory, `state-${++files}`, 'sluice.db');
after(() => rmSync(directory, { recursive: true, force: true }));

runStoreContract('SQLite in memory', async () => openSqliteStore(':memory:'));
runStoreContract(
  'SQLite file',
  async () => openSqliteStore(newFile()),
  async () => sqliteDatabase(newFile()),
);

// Started on first use; when it cannot start, every PostgreSQL case fails saying why.
let postgres: Promise<PostgresForTests> | undefined;
const server = (): Promise<PostgresForTests> => (postgres ??= postgresForTests());
after(async () => (await postgres?.catch(() => undefined))?.stop());

runStoreContract(
  'PostgreSQL',
  async () => {
    const { url, schema } = await server();
    return openPostgresStore(url, { schema: schema() });
  },
  async () => postgresDatabase(await server()),
);

function sqliteDatabase(path: string): StoreDatabase {
  return {
    open: async () => openSqliteStore(path),
    query: async (sql) => {
      const db = new Database(path);
      try {
        const statement = db.prepare(sql);
        return statement.reader ? (statement.all() as Array<Record<string, unknown>>) : (statement.run(), []);
      } finally {
        db.close();
      }
    },
  };
}

function postgresDatabase({ url, schema }: PostgresForTests): StoreDatabase {
  const name = schema();
  return {
    open: () => openPostgresStore(url, { schema: name }),
    query: async (sql) => {
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${name}` });
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(sql)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
