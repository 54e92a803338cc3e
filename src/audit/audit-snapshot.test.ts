/**
 * A verification reads the chain as it stood when it began, on every store: another replica
 * pruning and appending between two of its page reads, or before the first, changes nothing
 * it sees. The iterator is driven by hand, so the writes land between reads for certain.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditRecord, Store } from '../state/store.ts';
import { backends, entry, publicKey, signingKey, verify } from './audit-stores.fixtures.ts';
import { sealEntries, spelled } from './chain.ts';
import { pruneAudit } from './prune.ts';
import { verifyAuditChain } from './verify.ts';

/** Records from seq `after` + 1 on, in segments of four (the first page of a scan is one segment). */
async function appendSegments(store: Store, segments: number, after = 0): Promise<void> {
  for (let n = after; n < after + segments * 4; n += 4) {
    await store.appendAudit(sealEntries([n, n + 1, n + 2, n + 3].map((at) => spelled(entry(at)))));
  }
}

/** Prunes the records up to seq `seq` (seq k holds entry(k - 1)). */
async function pruneThrough(store: Store, seq: number): Promise<void> {
  await pruneAudit(store, { before: new Date(entry(seq).time), signingKey });
}

async function take(records: AsyncIterator<AuditRecord>, count: number): Promise<AuditRecord[]> {
  const taken: AuditRecord[] = [];
  while (taken.length < count) {
    const next = await records.next();
    if (next.done === true) break;
    taken.push(next.value);
  }
  return taken;
}

/** The records already taken, then the rest of the iterator. */
async function* andThen(taken: readonly AuditRecord[], rest: AsyncIterator<AuditRecord>): AsyncGenerator<AuditRecord> {
  yield* taken;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

for (const [name, fresh] of backends) {
  describe(`a verification on ${name}`, () => {
    /** A reader and a writer (two replicas) on a chain of seq 9–32 after a checkpoint at seq 8. */
    async function replicas(t: test.TestContext): Promise<[Store, Store]> {
      const database = await fresh();
      const [reader, writer] = [await database.open(), await database.open()];
      t.after(() => Promise.all([reader.close(), writer.close()]));
      await appendSegments(writer, 8);
      await pruneThrough(writer, 8);
      return [reader, writer];
    }

    test('sees one state while another replica prunes and appends between two of its pages', async (t) => {
      const [reader, writer] = await replicas(t);
      const verdict = await reader.auditSnapshot(async ({ checkpoint, scan }) => {
        const records = scan(4)[Symbol.asyncIterator]();
        const firstPage = await take(records, 4);
        assert.deepEqual(
          firstPage.map((record) => record.seq),
          [9, 10, 11, 12],
        );
        await pruneThrough(writer, 20);
        await appendSegments(writer, 2, 32);
        return verifyAuditChain(andThen(firstPage, records), checkpoint, publicKey);
      });
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [24, 32], JSON.stringify(verdict));
      const now = await verify(reader);
      assert.deepEqual(now.ok && [now.records, now.lastSeq], [20, 40], 'the writes committed meanwhile');
    });

    test('pairs its checkpoint with the records of the same moment when a prune commits before its first page', async (t) => {
      const [reader, writer] = await replicas(t);
      const verdict = await reader.auditSnapshot(async ({ checkpoint, scan }) => {
        await pruneThrough(writer, 20);
        await appendSegments(writer, 1, 32);
        assert.equal(checkpoint?.seq, 8);
        return verifyAuditChain(scan(4), checkpoint, publicKey);
      });
      assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [24, 32], JSON.stringify(verdict));
      assert.equal((await reader.auditCheckpoint())?.seq, 20);
    });
  });
}
