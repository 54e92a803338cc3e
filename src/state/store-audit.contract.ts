/** The audit log's part of the Store contract (run from store.contract.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertChain, chainCheck, chainSeal, entry, scanned, type OpenForTest } from './store-fixtures.contract.ts';
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditQuery,
  AuditRecord,
  AuditSnapshot,
  ChainHead,
  SealEntries,
  SealedRecord,
  Store,
} from './store.ts';
import { storedRecord } from './audit-records.ts';

export function runAuditContract(open: OpenForTest): void {
  it('hands the seal the head: none on an empty chain, then the last record', async (t) => {
    const store = await open(t);
    const heads: Array<ChainHead | undefined> = [];
    const seal = chainSeal([entry(1), entry(2)]);
    const first = await append(store, (head) => (heads.push(head), seal(head)));
    assert.deepEqual([...heads], [undefined], 'none on an empty chain');
    assert.deepEqual(await store.auditHead(), headOf(first.at(-1)));
    await append(store, (head) => (heads.push(head), chainSeal([entry(3)])(head)));
    assert.deepEqual(heads[1], headOf(first.at(-1)));
    assert.deepEqual(await append(store, () => []), [], 'an empty seal appends nothing');
    assert.equal((await store.auditHead())?.seq, 3);
  });

  it('returns the records it appended in seq order, details as the same JSON', async (t) => {
    const store = await open(t);
    const details = {
      nested: { list: [1, 'two', { three: null }], flag: true, ratio: 0.25 },
      text: 'naïve café, 東京, emoji 🙂, quote " and \\ backslash',
      empty: {},
    };
    const written = [
      ...(await append(store, chainSeal([entry(1, { details, tenant: 'acme' }), entry(2)]))),
      ...(await append(store, chainSeal([entry(3, { actor: 'k-1', action: 'key.create' })]))),
    ];
    assert.deepEqual(
      written.map((record) => record.seq),
      [1, 2, 3],
    );
    assert.deepEqual(await store.queryAudit({ limit: 100 }), written);
    assert.deepEqual((await store.queryAudit({ limit: 1 }))[0]?.details, details);
    assertChain(written);
  });

  it('filters by time, actor, action, tenant, afterSeq and limit, in seq order', async (t) => {
    const store = await open(t);
    const entries: AuditEntry[] = Array.from({ length: 12 }, (_, n) =>
      entry(n, {
        actor: ['cli', 'k-1', 'anonymous'][n % 3] ?? 'cli',
        action: n % 2 === 0 ? 'inference' : 'key.create',
        tenant: n % 4 === 0 ? null : n % 4 === 1 ? 'acme' : 'beta',
      }),
    );
    const all = await append(store, chainSeal(entries));
    const cases: Array<[AuditQuery, (record: AuditRecord) => boolean]> = [
      [{ from: entry(3).time, limit: 100 }, (record) => record.time >= entry(3).time],
      [{ to: entry(5).time, limit: 100 }, (record) => record.time < entry(5).time],
      [{ from: entry(2).time, to: entry(9).time, limit: 100 }, (r) => r.seq >= 3 && r.seq <= 9],
      [{ actor: 'k-1', limit: 100 }, (record) => record.actor === 'k-1'],
      [{ action: 'key.create', limit: 100 }, (record) => record.action === 'key.create'],
      [{ tenant: 'acme', limit: 100 }, (record) => record.tenant === 'acme'],
      [{ afterSeq: 7, limit: 100 }, (record) => record.seq > 7],
      [{ actor: 'cli', action: 'inference', tenant: 'beta', limit: 100 }, (r) => r.seq === 7],
      [{ actor: 'nobody', limit: 100 }, () => false],
    ];
    for (const [query, keep] of cases) {
      assert.deepEqual(await store.queryAudit(query), all.filter(keep), JSON.stringify(query));
    }
    assert.deepEqual(await store.queryAudit({ limit: 4 }), all.slice(0, 4));
    assert.deepEqual(await store.queryAudit({ afterSeq: 2, limit: 3 }), all.slice(2, 5));
    assert.deepEqual(await store.queryAudit({ action: 'inference', limit: 2 }), [all[0], all[2]]);
    assert.deepEqual(await store.queryAudit({ limit: 0 }), []);
  });

  it('scans every record in seq order through more records than one page', async (t) => {
    const store = await open(t);
    assert.deepEqual(await scanned(store, 4), [], 'an empty log scans to nothing');
    const all = [
      ...(await append(store, chainSeal(Array.from({ length: 13 }, (_, n) => entry(n))))),
      ...(await append(store, chainSeal(Array.from({ length: 12 }, (_, n) => entry(13 + n))))),
    ];
    for (const pageSize of [1, 4, 5, 25, 100]) {
      assert.deepEqual(await scanned(store, pageSize), all, `pages of ${pageSize}`);
    }
    assertChain(all);
  });

  it('reads a snapshot as it stood when opened, appends and prunes meanwhile unseen, and nothing once closed', async (t) => {
    const store = await open(t);
    const all = [
      ...(await append(store, chainSeal(Array.from({ length: 5 }, (_, n) => entry(n))))),
      ...(await append(store, chainSeal(Array.from({ length: 5 }, (_, n) => entry(5 + n))))),
    ];
    await store.pruneAudit(checkpointAt(all, 2), chainCheck);
    let closed: AuditSnapshot | undefined;
    const seen = await store.auditSnapshot(async (snapshot) => {
      closed = snapshot;
      const records = snapshot.scan(1)[Symbol.asyncIterator]();
      const first = await records.next();
      await store.pruneAudit(checkpointAt(all, 7, 'second'), chainCheck);
      await append(store, chainSeal([entry(10)]));
      const rest: AuditRecord[] = [];
      for (let next = await records.next(); next.done !== true; next = await records.next()) rest.push(next.value);
      return { checkpoint: snapshot.checkpoint, records: [first.value, ...rest] };
    });
    assert.deepEqual(seen, { checkpoint: checkpointAt(all, 2), records: all.slice(2) });
    assert.equal((await scanned(store, 4)).length, 4, 'seq 8–11, in a snapshot opened since');
    await assert.rejects(scanned({ auditSnapshot: async (read) => read(closed as AuditSnapshot) }, 4), /closed/);
  });

  it('closes a snapshot whose read throws, passing its error on: more failures than a pool has connections leave the store reading', async (t) => {
    const store = await open(t);
    await append(store, chainSeal([entry(0)]));
    const failures = async (): Promise<number> => {
      // PostgreSQL's pool holds 10 connections: one kept by each failed snapshot would leave the 11th waiting.
      for (let n = 1; n <= 12; n += 1) {
        const failing = store.auditSnapshot(async ({ scan }) => {
          await scan(1)[Symbol.asyncIterator]().next();
          throw new Error(`read ${n} failed`);
        });
        await assert.rejects(failing, new RegExp(`^Error: read ${n} failed$`));
      }
      return (await scanned(store, 1)).length;
    };
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('failed snapshots left the store waiting 5 s for a read')), 5_000);
    });
    try {
      assert.equal(await Promise.race([failures(), stuck]), 1);
    } finally {
      clearTimeout(timer);
    }
  });

  it('prunes up to a seq and keeps the checkpoint in place of the one before', async (t) => {
    const store = await open(t);
    const all = await append(store, chainSeal(Array.from({ length: 10 }, (_, n) => entry(n))));
    assert.equal(await store.auditCheckpoint(), undefined);
    assert.equal(await store.pruneAudit(checkpointAt(all, 4), chainCheck), 4);
    assert.deepEqual(await store.queryAudit({ limit: 100 }), all.slice(4));
    assert.deepEqual(await store.auditCheckpoint(), checkpointAt(all, 4));
    assert.equal(await store.pruneAudit(checkpointAt(all, 7, 'second'), chainCheck), 3);
    assert.deepEqual(await store.auditCheckpoint(), checkpointAt(all, 7, 'second'), 'replaced the first');
    assert.deepEqual(await scanned(store, 2), all.slice(7));
    assert.equal(await store.pruneAudit(checkpointAt(all, 10), chainCheck), 3);
    assert.deepEqual(await store.queryAudit({ limit: 100 }), []);
    assert.deepEqual(await store.auditHead(), headOf(all.at(-1)), 'the checkpoint is the head');
    const heads: Array<ChainHead | undefined> = [];
    const next = await append(store, (head) => (heads.push(head), chainSeal([entry(11)])(head)));
    assert.deepEqual(heads, [headOf(all.at(-1))], 'the seal was handed the checkpoint');
    assert.deepEqual(
      next.map((record) => [record.seq, record.prevHash]),
      [[11, all.at(-1)?.hash]],
    );
  });

  it('refuses a checkpoint that contradicts the chain, deleting nothing', async (t) => {
    const store = await open(t);
    await assert.rejects(
      store.pruneAudit({ seq: 1, hash: 'x', prunedAt: 'now', signature: 's' }, chainCheck),
      /past the end/,
    );
    const all = await append(store, chainSeal(Array.from({ length: 6 }, (_, n) => entry(n))));
    await store.pruneAudit(checkpointAt(all, 3), chainCheck);
    await assert.rejects(store.pruneAudit(checkpointAt(all, 2), chainCheck), /back from 3/);
    await assert.rejects(store.pruneAudit(checkpointAt(all, 7), chainCheck), /past the end/);
    await assert.rejects(
      store.pruneAudit({ ...checkpointAt(all, 5), hash: 'forged' }, chainCheck),
      /does not carry the hash/,
    );
    assert.deepEqual(await store.queryAudit({ limit: 100 }), all.slice(3));
    assert.deepEqual(await store.auditCheckpoint(), checkpointAt(all, 3));
  });

  it('writes nothing when the seal throws, or seals a record that breaks the chain', async (t) => {
    const store = await open(t);
    await assert.rejects(
      store.appendAudit(() => {
        throw new Error('the signing key is gone');
      }),
      /the signing key is gone/,
    );
    assert.equal(await store.auditHead(), undefined);
    const first = await append(store, chainSeal([entry(1)]));
    const broken = (head: ChainHead | undefined): SealedRecord[] => {
      const [good, next] = chainSeal([entry(2), entry(3)])(head);
      return good === undefined || next === undefined ? [] : [good, { ...next, prevHash: 'elsewhere' }];
    };
    await assert.rejects(store.appendAudit(broken), /prevHash/);
    const gap = (head: ChainHead | undefined): SealedRecord[] =>
      chainSeal([entry(2)])(head).map((r) => ({ ...r, seq: 9 }));
    await assert.rejects(store.appendAudit(gap), /seq 9 after seq 1/);
    assert.deepEqual(await store.queryAudit({ limit: 100 }), first, 'the good record of the broken seal is not in');
  });
}

/** The records appended, as a query reads them back (without the details text the seal made for the write). */
async function append(store: Store, seal: SealEntries): Promise<AuditRecord[]> {
  return (await store.appendAudit(seal)).map(storedRecord);
}

function headOf(record: AuditRecord | undefined): ChainHead | undefined {
  return record === undefined ? undefined : { seq: record.seq, hash: record.hash };
}

/** A checkpoint standing for the first `count` records of `all`. */
function checkpointAt(all: readonly AuditRecord[], count: number, signature = 'signed'): AuditCheckpoint {
  const last = all[count - 1];
  return { seq: last?.seq ?? count, hash: last?.hash ?? 'none', prunedAt: '2026-06-01T00:00:00.000Z', signature };
}
