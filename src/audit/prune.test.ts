import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { SpelledEntry, Store } from '../state/store.ts';
import { sealEntries, spelled } from './chain.ts';
import { AuditChainBrokenError, cutoffBefore, pruneAudit } from './prune.ts';
import { verifyStoredChain } from './verify.ts';

const { privateKey: signingKey, publicKey } = generateKeyPairSync('ed25519');
const now = new Date('2026-03-01T00:00:00.000Z');

function day(n: number): Date {
  return new Date(Date.UTC(2026, 0, n, 12));
}

function entry(n: number): SpelledEntry {
  return spelled({
    time: day(n).toISOString(),
    actor: 'cli',
    action: 'tenant.create',
    tenant: `t${n}`,
    details: { n },
  });
}

async function storeWithDays(...days: number[]): Promise<Store> {
  const store = openSqliteStore(':memory:');
  await store.appendAudit(sealEntries(days.map(entry)));
  return store;
}

async function verify(store: Store) {
  return (await verifyStoredChain(store, publicKey, {}, 3)).verdict;
}

describe('pruneAudit', () => {
  test('removes the records older than the cut-off and leaves a chain that verifies from its checkpoint', async () => {
    const store = await storeWithDays(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const result = await pruneAudit(store, { before: day(6), signingKey, now });
    assert.equal(result.pruned, 5);
    assert.deepEqual(result.checkpoint && [result.checkpoint.seq, result.checkpoint.prunedAt], [5, now.toISOString()]);
    assert.deepEqual(await store.auditCheckpoint(), result.checkpoint);
    assert.deepEqual(
      (await store.queryAudit({ limit: 100 })).map((record) => record.seq),
      [6, 7, 8, 9, 10],
    );
    assert.deepEqual(await verify(store), {
      ok: true,
      records: 5,
      lastSeq: 10,
      lastHash: (await store.auditHead())?.hash,
    });
  });

  test('keeps the chain verifiable as it grows and is pruned again', async () => {
    const store = await storeWithDays(1, 2, 3, 4);
    await pruneAudit(store, { before: day(3), signingKey, now });
    await store.appendAudit(sealEntries([entry(5), entry(6)]));
    assert.equal((await verify(store)).ok, true);
    const again = await pruneAudit(store, { before: day(6), signingKey, now });
    assert.deepEqual([again.pruned, again.checkpoint?.seq], [3, 5]);
    const verdict = await verify(store);
    assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [1, 6]);
  });

  test('can prune every record: the checkpoint alone verifies, and the chain continues from it', async () => {
    const store = await storeWithDays(1, 2, 3);
    assert.equal((await pruneAudit(store, { before: day(30), signingKey, now })).pruned, 3);
    assert.deepEqual(await verify(store), {
      ok: true,
      records: 0,
      lastSeq: 3,
      lastHash: (await store.auditHead())?.hash,
    });
    const [next] = await store.appendAudit(sealEntries([entry(31)]));
    assert.equal(next?.seq, 4);
    const verdict = await verify(store);
    assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [1, 4]);
  });

  test('prunes nothing when no record is old enough', async () => {
    const store = await storeWithDays(5, 6);
    assert.deepEqual(await pruneAudit(store, { before: day(5), signingKey, now }), {
      pruned: 0,
      checkpoint: undefined,
    });
    assert.equal((await store.queryAudit({ limit: 10 })).length, 2);
  });

  test('stops at the first record that is not old enough, even when a later one is (clocks differ)', async () => {
    const store = await storeWithDays(1, 2, 8, 3, 9);
    const result = await pruneAudit(store, { before: day(5), signingKey, now });
    assert.deepEqual([result.pruned, result.checkpoint?.seq], [2, 2]);
    assert.equal((await verify(store)).ok, true);
  });

  test('refuses to prune over a checkpoint its key did not sign, and prunes nothing', async () => {
    const store = await storeWithDays(1, 2, 3, 4);
    const other = generateKeyPairSync('ed25519').privateKey;
    await pruneAudit(store, { before: day(2), signingKey: other, now });
    await assert.rejects(pruneAudit(store, { before: day(4), signingKey, now }), (error: unknown) => {
      assert.ok(error instanceof AuditChainBrokenError);
      assert.deepEqual([error.verdict.seq, error.verdict.fault], [1, 'bad-checkpoint']);
      return true;
    });
    assert.equal((await store.queryAudit({ limit: 10 })).length, 3);
  });

  const days = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

  test('prunes a long prefix in pieces, each its own transaction and checkpoint, the event loop turning between', async () => {
    const store = await storeWithDays(...days(25));
    const [pieces, turnedBefore] = [[] as number[], [] as boolean[]];
    let turned = false;
    const counted: Pick<Store, 'auditSnapshot' | 'pruneAudit'> = {
      auditSnapshot: (read) => store.auditSnapshot(read),
      pruneAudit: (checkpoint, check) => {
        pieces.push(checkpoint.seq);
        turnedBefore.push(turned);
        turned = false;
        setImmediate(() => (turned = true));
        return store.pruneAudit(checkpoint, check);
      },
    };
    const result = await pruneAudit(counted, { before: day(24), signingKey, now, pieceRecords: 10 });
    assert.deepEqual(pieces, [10, 20, 23]);
    assert.deepEqual(turnedBefore.slice(1), [true, true]);
    assert.deepEqual([result.pruned, result.checkpoint?.seq], [23, 23]);
    assert.deepEqual(await store.auditCheckpoint(), result.checkpoint);
    assert.equal((await verify(store)).ok, true);
  });

  test('a piece refused after others keeps what they pruned and says how far it got', async () => {
    const store = await storeWithDays(...days(25));
    let piece = 0;
    const editing: Pick<Store, 'auditSnapshot' | 'pruneAudit'> = {
      auditSnapshot: (read) => store.auditSnapshot(read),
      // The second piece's check is handed seq 15 edited, as if changed after the first piece.
      pruneAudit: (checkpoint, check) => {
        piece += 1;
        const edited = piece === 2 ? 15 : undefined;
        return store.pruneAudit(checkpoint, (replaced) => {
          const step = check(replaced);
          return (record) => step(record.seq === edited ? { ...record, details: { n: 99 } } : record);
        });
      },
    };
    await assert.rejects(
      pruneAudit(editing, { before: day(24), signingKey, now, pieceRecords: 10 }),
      (error: unknown) => {
        assert.ok(error instanceof AuditChainBrokenError);
        assert.deepEqual([error.verdict.seq, error.verdict.fault, error.prunedTo?.seq], [15, 'edited', 10]);
        assert.match(error.message, /; pruned up to seq 10 only$/);
        return true;
      },
    );
    assert.equal((await store.auditCheckpoint())?.seq, 10);
    assert.equal((await verify(store)).ok, true);
  });
});

describe('cutoffBefore', () => {
  const cases: [string, string][] = [
    ['30d', '2026-01-30T00:00:00.000Z'],
    ['30', '2026-01-30T00:00:00.000Z'],
    ['12h', '2026-02-28T12:00:00.000Z'],
    ['1.5d', '2026-02-27T12:00:00.000Z'],
  ];
  for (const [age, cutoff] of cases) {
    test(`"${age}" before ${now.toISOString()} is ${cutoff}`, () => {
      assert.equal(cutoffBefore(age, now).toISOString(), cutoff);
    });
  }

  test('refuses what is not an age', () => {
    assert.throws(() => cutoffBefore('thirty days', now), /not an age/);
    assert.throws(() => cutoffBefore('-3d', now), /not an age/);
  });
});
