/** What only the PostgreSQL store shows: its errors at open, and schemas kept apart. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { postgresForTests, type PostgresForTests } from '../../test/support/postgres.ts';
import { redactUrl } from './postgres-migrate.ts';
import { openPostgresStore } from './postgres-store.ts';
import { tenant } from './store-fixtures.contract.ts';

let postgres: Promise<PostgresForTests> | undefined;
const server = (): Promise<PostgresForTests> => (postgres ??= postgresForTests());
after(async () => (await postgres?.catch(() => undefined))?.stop());

describe('openPostgresStore', () => {
  it('names the URL, without its password, when it cannot connect', async () => {
    // Port 1 on loopback: nothing listens there, so the refusal is immediate.
    await assert.rejects(openPostgresStore('postgres://sluice:s3cret@127.0.0.1:1/sluice'), (error: Error) => {
      assert.match(error.message, /^cannot connect to PostgreSQL at postgres:\/\/sluice@127\.0\.0\.1:1\/sluice: /);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it('refuses a schema name it would have to quote', async () => {
    await assert.rejects(openPostgresStore('postgres://127.0.0.1:1/x', { schema: 'Bad-Name' }), /"Bad-Name" is not/);
  });

  it('keeps the tables of two schemas on one server apart', async (t) => {
    const { url, schema } = await server();
    const [one, two] = [
      await openPostgresStore(url, { schema: schema() }),
      await openPostgresStore(url, { schema: schema() }),
    ];
    t.after(() => Promise.all([one.close(), two.close()]));
    await one.createTenant(tenant('acme'));
    assert.deepEqual(await two.listTenants(), []);
    await two.createTenant(tenant('acme'));
    assert.equal(one.kind, 'postgres');
  });
});

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['postgres://user:pw@db.internal:5432/sluice', 'postgres://user@db.internal:5432/sluice'],
    ['postgres://user@db/sluice?sslmode=require&password=pw', 'postgres://user@db/sluice?sslmode=require'],
    ['postgres://db/sluice', 'postgres://db/sluice'],
    ['host=db user=u password=pw dbname=x', 'host=db user=u password=*** dbname=x'],
  ];
  for (const [url, shown] of cases) {
    it(`shows ${url} as ${shown}`, () => assert.equal(redactUrl(url), shown));
  }
});
