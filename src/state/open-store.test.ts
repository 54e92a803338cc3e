import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from './open-store.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-open-store-'));
after(() => rmSync(directory, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens the SQLite file when no database URL is set', async () => {
    for (const databaseUrl of [undefined, '']) {
      const store = await openStore({ databaseUrl, sqlitePath: join(directory, 'state', 'sluice.db') });
      assert.equal(store.kind, 'sqlite');
      await store.close();
    }
  });

  it('opens PostgreSQL when a database URL is set, whatever the SQLite path', async () => {
    const opening = openStore({
      databaseUrl: 'postgres://sluice@127.0.0.1:1/sluice',
      sqlitePath: join(directory, 'x.db'),
    });
    await assert.rejects(opening, /^Error: cannot connect to PostgreSQL at postgres:\/\/sluice@127\.0\.0\.1:1\/sluice/);
  });
});
