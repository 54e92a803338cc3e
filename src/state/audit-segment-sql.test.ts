/**
 * The segment reads against a store that changes between their round trips: a query's pages
 * read with SQL on a second connection to a SQLite file while the store prunes it.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { queryRecords, type Select } from './audit-segment-sql.ts';
import { unnumbered } from './sql-placeholders.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { chainCheck, chainSeal, entry } from './store-fixtures.contract.ts';
import type { SealedRecord } from './store.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-segment-sql-'));
after(() => rmSync(directory, { recursive: true, force: true }));

describe('a query over audit segments', () => {
  test('returns no record twice when a prune cuts a segment between two of its reads', async (t) => {
    const path = join(directory, 'sluice.db');
    const store = openSqliteStore(path);
    const reader = new Database(path, { readonly: true });
    t.after(async () => {
      reader.close();
      await store.close();
    });
    // Six segments of three: 1–3, 4–6, … 16–18. The query's first read takes four, up to 10–12.
    const written: SealedRecord[] = [];
    for (let batch = 0; batch < 6; batch += 1) {
      const entries = [0, 1, 2].map((n) => entry(batch * 3 + n));
      written.push(...(await store.appendAudit(chainSeal(entries))));
    }
    let reads = 0;
    const select: Select = async <Row>(sql: string, params: readonly unknown[]) => {
      const rows = reader.prepare(sql).all(...params) as Row[];
      // After the first read, a prune at seq 10 rewrites segment 10–12 as 11–12, past the cursor.
      if ((reads += 1) === 1) {
        const at10 = written[9] as SealedRecord;
        await store.pruneAudit({ seq: 10, hash: at10.hash, prunedAt: entry(99).time, signature: 'signed' }, chainCheck);
      }
      return rows;
    };
    const found = await queryRecords({ limit: 100 }, select, unnumbered);
    assert.deepEqual(
      found.map((record) => record.seq),
      Array.from({ length: 18 }, (_, n) => n + 1),
    );
    assert.equal(reads, 2, 'the segments after the first read in one more');
  });
});
