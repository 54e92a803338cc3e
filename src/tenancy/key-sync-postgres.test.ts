/** Replicas sharing PostgreSQL hear each other's key changes at once (LISTEN/NOTIFY), not at the next poll. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { KEYS_LISTENER_NAME } from '../state/postgres-keys-listener.ts';
import { openPostgresStore } from '../state/postgres-store.ts';
import type { Store } from '../state/store.ts';
import { generateApiKey, type NewApiKey } from './api-keys.ts';
import { KeySync } from './key-sync.ts';
import { TenantDirectory } from './tenant-directory.ts';

const AT = '2026-12-07T12:00:00.000Z';
/** Far longer than any wait below: only an announcement can explain a change seen in time. */
const NO_POLL_MS = 600_000;

let postgres: Promise<PostgresForTests> | undefined;
const server = (): Promise<PostgresForTests> => (postgres ??= postgresForTests());
after(async () => (await postgres?.catch(() => undefined))?.stop());

async function insertKey(store: Store, made: NewApiKey): Promise<void> {
  const record = { tenant: 'clinic', scopes: ['infer' as const], models: null, createdAt: AT };
  await store.insertKey({ ...record, id: made.id, hash: made.hash, expiresAt: null, revokedAt: null });
}

/** Two stores on one schema, as two replicas; the second watches its keys. */
async function replicas(t: { after: (fn: () => Promise<unknown>) => void }) {
  const { url, schema } = await server();
  const name = schema();
  const [writer, reader] = [
    await openPostgresStore(url, { schema: name }),
    await openPostgresStore(url, { schema: name }),
  ];
  await writer.createTenant({ name: 'clinic', priority: null, weight: 1, createdAt: AT });
  const made = generateApiKey();
  await insertKey(writer, made);
  const directory = new TenantDirectory(true);
  const errors: unknown[] = [];
  const sync = new KeySync(reader, [], directory, (error) => errors.push(error));
  await sync.refresh();
  await sync.start(NO_POLL_MS);
  t.after(async () => {
    await sync.stop();
    await Promise.all([writer.close(), reader.close()]);
  });
  return { url, writer, directory, made, errors };
}

function accepted(directory: TenantDirectory, made: NewApiKey): boolean {
  try {
    directory.identify({ authorization: `Bearer ${made.key}` });
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("another replica's revocation applies without waiting for a poll", async (t) => {
  const { writer, directory, made, errors } = await replicas(t);
  assert.equal(accepted(directory, made), true);
  await writer.revokeKey(made.id, AT);
  await until(() => !accepted(directory, made), 'the revoked key refused by the other replica');
  const added = generateApiKey();
  await insertKey(writer, added);
  await until(() => accepted(directory, added), 'a new key accepted by the other replica');
  assert.deepEqual(errors, []);
});

test('a listening connection that is cut reconnects, and a change made meanwhile is picked up', async (t) => {
  const { url, writer, directory, made } = await replicas(t);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.after(() => admin.end());
  const listening = `SELECT pid FROM pg_stat_activity WHERE application_name = '${KEYS_LISTENER_NAME}'`;
  const { rows } = await admin.query<{ pid: number }>(listening);
  assert.ok(rows.length > 0, 'a connection listens');
  for (const { pid } of rows) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  await writer.revokeKey(made.id, AT);
  await until(() => !accepted(directory, made), 'the key revoked while the listener was down is refused');
});
