/**
 * The audit log end to end on every store: what the writer seals verifies after the round
 * trip through the database, two writers sharing one database never fork the chain,
 * tampering through SQL with a segment's records, its columns or its key rows is named, and
 * pruning keeps the chain verifiable, also when it cuts a segment.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backends,
  changeRecord,
  editLines,
  entry,
  lineOf,
  signingKey,
  swap,
  verify,
  write,
  type SharedDatabase,
} from './audit-stores.fixtures.ts';
import { pruneAudit } from './prune.ts';

for (const [name, fresh] of backends) {
  describe(`the audit log on ${name}`, () => {
    test('what the writer sealed verifies after the round trip, its details as written', async (t) => {
      const store = await (await fresh()).open();
      t.after(() => store.close());
      const entries = Array.from({ length: 100 }, (_, n) => entry(n));
      await write(store, entries);
      assert.deepEqual(await verify(store), {
        ok: true,
        records: 100,
        lastSeq: 100,
        lastHash: (await store.auditHead())?.hash,
      });
      const stored = await store.queryAudit({ limit: 1000 });
      assert.deepEqual(
        stored.map(({ time, actor, action, tenant, details }) => ({ time, actor, action, tenant, details })),
        JSON.parse(JSON.stringify(entries)),
      );
    });

    test('two writers on one database (two replicas) make one chain', async (t) => {
      const database = await fresh();
      const [one, two] = [await database.open(), await database.open()];
      t.after(() => Promise.all([one.close(), two.close()]));
      await Promise.all([
        write(
          one,
          Array.from({ length: 200 }, (_, n) => entry(n)),
        ),
        write(
          two,
          Array.from({ length: 200 }, (_, n) => entry(1000 + n)),
        ),
      ]);
      const verdict = await verify(one);
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [400, 400]);
    });

    // Twenty records in two segments, seq 1–16 and 17–20 (batches of 16).
    const tampering: [string, (database: SharedDatabase) => Promise<unknown>, [number, string]][] = [
      [
        'an edited record',
        (db) => editLines(db, 12, (lines) => changeRecord(lines, 12, { actor: 'k9' })),
        [12, 'edited'],
      ],
      [
        'a deleted record',
        (db) => editLines(db, 12, (lines) => lines.filter((_, n) => n !== lineOf(lines, 12))),
        [12, 'gap'],
      ],
      ['two records moved', (db) => editLines(db, 12, (lines) => swap(lines, 12, 13)), [13, 'out-of-order']],
      [
        'two records renumbered in place',
        (db) => editLines(db, 12, (lines) => changeRecord(changeRecord(lines, 12, { seq: 13 }), 13, { seq: 12 }, 1)),
        [13, 'out-of-order'],
      ],
      [
        "two records' contents swapped, their seqs left in order",
        (db) =>
          editLines(db, 12, (lines) =>
            changeRecord(changeRecord(swap(lines, 12, 13), 13, { seq: 12 }), 12, { seq: 13 }, 1),
          ),
        [12, 'edited'],
      ],
      ['a deleted segment', (db) => db.sql('DELETE FROM audit_segments WHERE first_seq = 1'), [1, 'gap']],
      [
        'lines cut from the last segment’s end',
        (db) => editLines(db, 20, (lines) => lines.slice(0, 2)),
        [19, 'bad-segment'],
      ],
      [
        'lines cut from a segment’s end before another',
        (db) => editLines(db, 12, (lines) => lines.slice(0, 14)),
        [15, 'bad-segment'],
      ],
      [
        'a segment’s first seq moved',
        (db) => db.sql('UPDATE audit_segments SET first_seq = 18 WHERE first_seq = 17'),
        [18, 'bad-segment'],
      ],
      [
        'a segment’s last hash changed',
        (db) => db.sql(`UPDATE audit_segments SET last_hash = '${'0'.repeat(64)}' WHERE first_seq = 17`),
        [20, 'bad-segment'],
      ],
      [
        'a segment’s time range narrowed',
        (db) => db.sql('UPDATE audit_segments SET max_time = min_time WHERE first_seq = 1'),
        [1, 'bad-segment'],
      ],
      [
        'a segment’s key rows deleted',
        (db) => db.sql("DELETE FROM audit_segment_keys WHERE first_seq = 17 AND kind = 'actor'"),
        [17, 'bad-segment'],
      ],
      [
        'a key row added to a segment',
        (db) => db.sql("INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES ('tenant', 'other', 17)"),
        [17, 'bad-segment'],
      ],
    ];
    for (const [what, tamper, [seq, fault]] of tampering) {
      test(`names the first bad record after ${what}, with SQL`, async (t) => {
        const database = await fresh();
        const store = await database.open();
        t.after(() => store.close());
        await write(
          store,
          Array.from({ length: 20 }, (_, n) => entry(n)),
        );
        await tamper(database);
        const verdict = await verify(store);
        assert.deepEqual(!verdict.ok && [verdict.seq, verdict.fault], [seq, fault]);
      });
    }

    test('pruning keeps the chain verifiable as it grows, cutting a segment', async (t) => {
      const database = await fresh();
      const store = await database.open();
      t.after(() => store.close());
      await write(
        store,
        Array.from({ length: 30 }, (_, n) => entry(n)),
      );
      const { pruned, checkpoint } = await pruneAudit(store, { before: new Date(entry(20).time), signingKey });
      assert.deepEqual([pruned, checkpoint?.seq], [20, 20]);
      const segments = await database.sql('SELECT first_seq, last_seq FROM audit_segments ORDER BY first_seq');
      assert.deepEqual(
        segments.map((row) => [Number(row['first_seq']), Number(row['last_seq'])]),
        [[21, 30]],
        'seq 17–30 cut after 20',
      );
      await write(
        store,
        Array.from({ length: 5 }, (_, n) => entry(30 + n)),
      );
      const verdict = await verify(store);
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [15, 35]);
    });
  });
}
