/**
 * The audit log's Store contract across many segments (each append is one: audit-segments.ts):
 * queries that page through segments, time ranges that cut them, and a prune that cuts one,
 * checking what it removes first.
 * Run from store.contract.ts beside store-audit.contract.ts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertChain, chainCheck, chainSeal, entry, scanned, type OpenForTest } from './store-fixtures.contract.ts';
import type { AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, CheckPruned, Store } from './store.ts';
import { storedRecord } from './audit-records.ts';

/** Appends `sizes.length` batches of those sizes: entries numbered on from `first`, fields from `shape`. */
async function appendBatches(
  store: Store,
  sizes: readonly number[],
  shape: (n: number) => Partial<AuditEntry> = () => ({}),
  first = 0,
): Promise<AuditRecord[]> {
  const written: AuditRecord[] = [];
  let n = first;
  for (const size of sizes) {
    const entries = Array.from({ length: size }, () => entry(n, shape(n++)));
    const records = await store.appendAudit(chainSeal(entries));
    written.push(...records.map(storedRecord));
  }
  return written;
}

/** Every page of `query` through afterSeq, `limit` at a time, as /admin/audit pages. */
async function pages(store: Store, query: AuditQuery): Promise<AuditRecord[][]> {
  const read: AuditRecord[][] = [];
  let afterSeq = query.afterSeq;
  for (;;) {
    const page = await store.queryAudit({ ...query, ...(afterSeq === undefined ? {} : { afterSeq }) });
    read.push(page);
    const last = page.at(-1);
    if (last === undefined || page.length < query.limit) return read;
    afterSeq = last.seq;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, n) => items.slice(n * size, n * size + size));
}

/** Batch sizes from 1 to 9 and back, 24 segments, 113 records. */
const SIZES = [1, 4, 9, 2, 7, 3, 8, 1, 1, 6, 5, 9, 2, 3, 4, 8, 7, 1, 6, 2, 9, 5, 3, 7];

export function runAuditSegmentContract(open: OpenForTest): void {
  it('finds records by actor, action and tenant across many segments, paging with afterSeq and limit', async (t) => {
    const store = await open(t);
    // Runs of one actor longer than a segment, so some segments hold it and most do not.
    const all = await appendBatches(store, SIZES, (n) => ({
      actor: n % 17 === 0 ? 'rare' : Math.floor(n / 10) % 2 === 0 ? 'k-1' : 'k-2',
      action: n % 4 === 3 ? 'key.create' : 'inference',
      tenant: n % 9 === 0 ? null : n % 2 === 0 ? 'acme' : 'beta',
    }));
    const queries: AuditQuery[] = [
      { actor: 'k-1', limit: 1000 },
      { actor: 'rare', limit: 1000 },
      { action: 'key.create', limit: 1000 },
      { tenant: 'beta', limit: 1000 },
      { actor: 'k-2', action: 'inference', tenant: 'acme', limit: 1000 },
      { actor: 'k-1', afterSeq: 37, limit: 1000 },
      { actor: 'nobody', limit: 1000 },
      { limit: 1000 },
    ];
    const keep = (query: AuditQuery) => (record: AuditRecord) =>
      (query.actor === undefined || record.actor === query.actor) &&
      (query.action === undefined || record.action === query.action) &&
      (query.tenant === undefined || record.tenant === query.tenant) &&
      record.seq > (query.afterSeq ?? 0);
    for (const query of queries) {
      const expected = all.filter(keep(query));
      assert.deepEqual(await store.queryAudit(query), expected, JSON.stringify(query));
      for (const limit of [1, 3, 7, 50]) {
        const paged = await pages(store, { ...query, limit });
        assert.deepEqual(paged.flat(), expected, `${JSON.stringify(query)} in pages of ${limit}`);
        assert.deepEqual(
          paged.map((page) => page.length),
          [...chunks(expected, limit).map((chunk) => chunk.length), ...(expected.length % limit === 0 ? [0] : [])],
          'every page full but the last',
        );
      }
    }
    assert.ok(all.some((record) => record.actor === 'rare'));
  });

  it('reads a time range that cuts segments, with times out of seq order inside them', async (t) => {
    const store = await open(t);
    // Two replicas' clocks: every third record is stamped three minutes behind.
    const all = await appendBatches(store, SIZES, (n) => ({ time: entry(n % 3 === 2 ? n - 3 : n).time }));
    const at = (n: number): string => entry(n).time;
    const ranges: Array<Pick<AuditQuery, 'from' | 'to'>> = [
      { from: at(20), to: at(33) },
      { from: at(57) },
      { to: at(4) },
      { from: at(-5), to: at(0) },
      { from: at(108), to: at(200) },
      { from: at(300) },
      { from: at(40), to: at(40) },
    ];
    for (const range of ranges) {
      const expected = all.filter(
        (record) =>
          (range.from === undefined || record.time >= range.from) && (range.to === undefined || record.time < range.to),
      );
      assert.deepEqual(await store.queryAudit({ ...range, limit: 1000 }), expected, JSON.stringify(range));
      assert.deepEqual(
        (await pages(store, { ...range, limit: 4 })).flat(),
        expected,
        `${JSON.stringify(range)} in pages of 4`,
      );
    }
    assert.deepEqual(
      await store.queryAudit({ from: at(20), to: at(80), afterSeq: 50, limit: 5 }),
      all.filter((record) => record.time >= at(20) && record.time < at(80) && record.seq > 50).slice(0, 5),
    );
  });

  it('prunes through the middle of a segment: the rest reads, scans, queries and takes appends', async (t) => {
    const store = await open(t);
    const all = await appendBatches(store, [5, 7, 8], (n) => ({ actor: n >= 5 && n <= 7 ? 'early' : 'cli' }));
    const checkpoint = (seq: number, signature = 'signed'): AuditCheckpoint => checkpointOf(all, seq, signature);
    assert.equal(await store.pruneAudit(checkpoint(9), chainCheck), 9, 'segment 1–5 whole, and 6–9 of segment 6–12');
    assert.deepEqual(await store.queryAudit({ limit: 100 }), all.slice(9));
    assert.deepEqual(await store.queryAudit({ actor: 'early', limit: 100 }), [], 'the cut records left no key behind');
    assert.deepEqual(await store.queryAudit({ from: entry(0).time, to: entry(12).time, limit: 100 }), all.slice(9, 12));
    assert.deepEqual(await store.queryAudit({ afterSeq: 10, limit: 3 }), all.slice(10, 13));
    for (const pageSize of [1, 2, 100]) {
      assert.deepEqual(await scanned(store, pageSize), all.slice(9), `pages of ${pageSize}`);
    }
    await assert.rejects(
      store.pruneAudit({ ...checkpoint(11), hash: 'forged' }, chainCheck),
      /does not carry the hash/,
    );
    assert.deepEqual(await store.queryAudit({ limit: 100 }), all.slice(9), 'a refused prune cut nothing');
    assert.equal(
      await store.pruneAudit(checkpoint(12, 'second'), chainCheck),
      3,
      'the rest of the cut segment, to its end',
    );
    assert.deepEqual(await store.auditCheckpoint(), checkpoint(12, 'second'));
    assert.deepEqual(await store.auditHead(), { seq: 20, hash: all.at(-1)?.hash });
    const more = await appendBatches(store, [2], () => ({}), 20);
    const rest = [...all.slice(12), ...more];
    assert.deepEqual(await store.queryAudit({ limit: 100 }), rest);
    assertChain(rest);
    assert.equal(rest[0]?.prevHash, all[11]?.hash, 'the first record left links to the checkpoint');
  });

  it('hands a prune’s check the checkpoint it replaces, the records it removes and the rest of the segment it cuts', async (t) => {
    const store = await open(t);
    const all = await appendBatches(store, [5, 7, 8]);
    await store.pruneAudit(checkpointOf(all, 3), chainCheck);
    const handed: [number | undefined, number[]][] = [];
    const recording: CheckPruned = (replaced) => {
      const seqs: number[] = [];
      handed.push([replaced?.seq, seqs]);
      const check = chainCheck(replaced);
      return (record) => {
        seqs.push(record.seq);
        check(record);
      };
    };
    assert.equal(await store.pruneAudit(checkpointOf(all, 9), recording), 6);
    assert.deepEqual(handed, [[3, [4, 5, 6, 7, 8, 9, 10, 11, 12]]], 'seq 4–5 whole, 6–12 cut at 9');
    const refusing: CheckPruned = () => (record) => {
      if (record.seq === 15) throw new Error('seq 15 refused');
    };
    await assert.rejects(store.pruneAudit(checkpointOf(all, 13), refusing), /seq 15 refused/);
    assert.deepEqual(await store.auditCheckpoint(), checkpointOf(all, 9), 'a refused prune changed nothing');
    assert.deepEqual(await scanned(store, 100), all.slice(9));
  });
}

/** A checkpoint at `seq` of `all`, unsigned (a store does not check signatures). */
function checkpointOf(all: readonly AuditRecord[], seq: number, signature = 'signed'): AuditCheckpoint {
  return { seq, hash: all[seq - 1]?.hash ?? '', prunedAt: '2026-06-01T00:00:00.000Z', signature };
}
