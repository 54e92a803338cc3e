/**
 * A prune never launders tampering, on every store: through a segment it cuts whose lines or
 * columns were edited with SQL, or over a record edited after the prune looked at it and
 * before it deleted it, the prune is refused naming what verification names, and the
 * database is left as it was.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Store } from '../state/store.ts';
import {
  backends,
  changeRecord,
  editLines,
  entry,
  signingKey,
  verify,
  write,
  type SharedDatabase,
} from './audit-stores.fixtures.ts';
import { AuditChainBrokenError, pruneAudit } from './prune.ts';

/** Everything a prune could change, as stored. */
async function everything(database: SharedDatabase): Promise<unknown> {
  return {
    segments: await database.sql('SELECT * FROM audit_segments ORDER BY first_seq'),
    keys: await database.sql('SELECT * FROM audit_segment_keys ORDER BY first_seq, kind, value'),
    checkpoint: await database.sql('SELECT * FROM audit_checkpoint'),
  };
}

/** Prunes the records up to seq 12 (seq k holds entry(k - 1)): through the segment of seq 1–16. */
function pruneThrough12(store: Pick<Store, 'auditSnapshot' | 'pruneAudit'>) {
  return pruneAudit(store, { before: new Date(entry(12).time), signingKey });
}

/**
 * A prune through seq 12 is refused with the fault verification names, before it and after,
 * and leaves everything as it was when its transaction began: `meanwhile` runs between the
 * prune's reading of the chain and that transaction.
 */
async function assertRefused(
  database: SharedDatabase,
  store: Store,
  named: [number, string],
  meanwhile: () => Promise<unknown> = async () => {},
) {
  let before = await everything(database);
  const prune = pruneThrough12({
    auditSnapshot: (read) => store.auditSnapshot(read),
    pruneAudit: async (...args) => {
      await meanwhile();
      before = await everything(database);
      return store.pruneAudit(...args);
    },
  });
  await assert.rejects(prune, (error: unknown) => {
    assert.ok(error instanceof AuditChainBrokenError, String(error));
    assert.deepEqual([error.verdict.seq, error.verdict.fault], named, error.message);
    assert.match(error.message, /; nothing pruned$/);
    return true;
  });
  assert.deepEqual(await everything(database), before, 'the refused prune changed nothing');
  const verdict = await verify(store);
  assert.deepEqual(!verdict.ok && [verdict.seq, verdict.fault], named, 'verification still names it');
}

for (const [name, fresh] of backends) {
  describe(`a prune on ${name}`, () => {
    /** Twenty records in two segments, seq 1–16 and 17–20 (batches of 16). */
    async function twentyRecords(t: TestContext): Promise<[SharedDatabase, Store]> {
      const database = await fresh();
      const store = await database.open();
      t.after(() => store.close());
      await write(
        store,
        Array.from({ length: 20 }, (_, n) => entry(n)),
      );
      return [database, store];
    }

    // What the segment a prune at seq 12 cuts may have had done to it, and what verification names.
    const tampering: [string, (database: SharedDatabase) => Promise<unknown>, [number, string]][] = [
      [
        'a line after the cut edited',
        (db) => editLines(db, 14, (lines) => changeRecord(lines, 14, { actor: 'k9' })),
        [14, 'edited'],
      ],
      ['lines cut from its end', (db) => editLines(db, 16, (lines) => lines.slice(0, 14)), [15, 'bad-segment']],
      [
        'its key rows deleted',
        (db) => db.sql("DELETE FROM audit_segment_keys WHERE first_seq = 1 AND kind = 'actor'"),
        [1, 'bad-segment'],
      ],
      [
        'a key row added',
        (db) => db.sql("INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES ('tenant', 'other', 1)"),
        [1, 'bad-segment'],
      ],
      [
        'its time range narrowed',
        (db) => db.sql('UPDATE audit_segments SET max_time = min_time WHERE first_seq = 1'),
        [1, 'bad-segment'],
      ],
      [
        'its last hash changed',
        (db) => db.sql(`UPDATE audit_segments SET last_hash = '${'0'.repeat(64)}' WHERE first_seq = 1`),
        [16, 'bad-segment'],
      ],
    ];
    for (const [what, tamper, named] of tampering) {
      test(`is refused through a segment with ${what}, changing nothing`, async (t) => {
        const [database, store] = await twentyRecords(t);
        await tamper(database);
        await assertRefused(database, store, named);
      });
    }

    test('is refused over a record edited after it read the chain and before it deleted the record', async (t) => {
      const [database, store] = await twentyRecords(t);
      await assertRefused(database, store, [5, 'edited'], () =>
        editLines(database, 5, (lines) => changeRecord(lines, 5, { details: { n: 99 } })),
      );
    });

    test('through an untampered segment prunes, and the rest verifies', async (t) => {
      const [, store] = await twentyRecords(t);
      const { pruned, checkpoint } = await pruneThrough12(store);
      assert.deepEqual([pruned, checkpoint?.seq], [12, 12]);
      const verdict = await verify(store);
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [8, 20]);
    });
  });
}
