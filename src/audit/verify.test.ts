import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { storedRecord } from '../state/audit-records.ts';
import { AuditSegmentError, type AuditCheckpoint, type AuditRecord, type ChainHead } from '../state/store.ts';
import { hashRecord, sealEntries, spelled } from './chain.ts';
import { signCheckpoint } from './checkpoint.ts';
import { verifyAuditChain, type ChainFault } from './verify.ts';

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');

/** Six records, seq 1–6, as a store would return them. */
const chain: readonly AuditRecord[] = sealEntries(
  [1, 2, 3, 4, 5, 6]
    .map((n) => ({
      time: `2026-01-0${n}T12:00:00.000Z`,
      actor: n === 2 ? 'cli' : `key-${n}`,
      action: n === 2 ? 'key.create' : 'inference',
      tenant: 'acme',
      details: { model: 'triage', version: 1, status: 200, latencyMs: 10 + n, items: n },
    }))
    .map(spelled),
)(undefined).map(storedRecord);

function at(seq: number): AuditRecord {
  const record = chain.find((candidate) => candidate.seq === seq);
  if (record === undefined) throw new Error(`no seq ${seq}`);
  return record;
}

function without(...seqs: number[]): AuditRecord[] {
  return chain.filter((record) => !seqs.includes(record.seq));
}

function replaced(seq: number, change: (record: AuditRecord) => AuditRecord): AuditRecord[] {
  return chain.map((record) => (record.seq === seq ? change(record) : record));
}

/** Rewrites the chain from `seq` on with new content and recomputed hashes: valid on its own. */
function rewrittenFrom(seq: number): AuditRecord[] {
  const kept = chain.filter((record) => record.seq < seq);
  const tail = chain
    .filter((record) => record.seq >= seq)
    .map(({ time, actor, action, tenant, details }) => ({
      time,
      actor,
      action,
      tenant,
      details: { ...details, status: 500 },
    }));
  return [...kept, ...sealEntries(tail.map(spelled))(kept.at(-1)).map(storedRecord)];
}

function checkpointAt(seq: number, hash = at(seq).hash, key = keys.privateKey): AuditCheckpoint {
  return signCheckpoint({ seq, hash, prunedAt: '2026-02-01T00:00:00.000Z' }, key);
}

interface Case {
  readonly name: string;
  readonly records: readonly AuditRecord[];
  readonly checkpoint?: AuditCheckpoint;
  readonly withoutKey?: boolean;
  readonly expectedHead?: ChainHead;
  /** [seq, fault, reason] of the first bad record, or the records counted and the last seq. */
  readonly verdict: [number, ChainFault, RegExp] | { records: number; lastSeq: number };
}

const tail = chain.filter((record) => record.seq > 3);
const cases: Case[] = [
  { name: 'an intact chain verifies', records: chain, verdict: { records: 6, lastSeq: 6 } },
  { name: 'an empty chain verifies', records: [], verdict: { records: 0, lastSeq: 0 } },
  {
    name: 'edited details are the edited record',
    records: replaced(3, (record) => ({ ...record, details: { ...record.details, status: 500 } })),
    verdict: [3, 'edited', /seq 3's hash does not match its content/],
  },
  {
    name: 'an edited actor is the edited record',
    records: replaced(2, (record) => ({ ...record, actor: 'someone-else' })),
    verdict: [2, 'edited', /seq 2's hash/],
  },
  {
    name: 'an edited record with its hash recomputed breaks the next link',
    records: replaced(3, (record) => {
      const edited = { ...record, actor: 'someone-else' };
      return { ...edited, hash: hashRecord(edited) };
    }),
    verdict: [4, 'broken-link', /seq 4's prevHash is not seq 3's hash/],
  },
  {
    name: 'a deleted middle record is named',
    records: without(3),
    verdict: [3, 'gap', /seq 3 is missing: seq 4 follows seq 2/],
  },
  {
    name: 'two deleted records are named as a range',
    records: without(3, 4),
    verdict: [3, 'gap', /seqs 3–4 are missing/],
  },
  { name: 'a deleted first record is named', records: without(1), verdict: [1, 'gap', /seq 1 is missing/] },
  {
    name: 'records renumbered over a deletion are edited records',
    records: [...without(3, 4, 5, 6), ...[4, 5, 6].map((seq) => ({ ...at(seq), seq: seq - 1 }))],
    verdict: [3, 'edited', /seq 3's hash/],
  },
  {
    name: 'two swapped records are out of order',
    records: [at(1), at(2), at(4), at(3), at(5), at(6)],
    verdict: [4, 'out-of-order', /seq 4 comes before seq 3/],
  },
  {
    name: 'a record moved back is out of order',
    records: [at(1), at(5), at(2), at(3), at(4), at(6)],
    verdict: [5, 'out-of-order', /seq 5 comes before seq 2/],
  },
  {
    name: 'a record moved forward is out of order',
    records: [at(1), at(3), at(4), at(2), at(5), at(6)],
    verdict: [3, 'out-of-order', /seq 3 comes before seq 2/],
  },
  {
    name: 'a duplicated record is out of order',
    records: [at(1), at(2), at(3), at(3), at(4)],
    verdict: [3, 'out-of-order', /seq 3 comes after seq 3/],
  },
  {
    name: 'contents swapped between two rows that keep their seq are edited records',
    records: replaced(3, (record) => ({ ...at(4), seq: record.seq })),
    verdict: [3, 'edited', /seq 3's hash/],
  },
  {
    name: 'a deleted last record goes unseen by the chain alone',
    records: without(6),
    verdict: { records: 5, lastSeq: 5 },
  },
  {
    name: 'a deleted last record is named against the expected head',
    records: without(6),
    expectedHead: { seq: 6, hash: at(6).hash },
    verdict: [6, 'truncated', /ends at seq 5; the expected head is seq 6/],
  },
  {
    name: 'a tail rewritten with valid hashes goes unseen by the chain alone',
    records: rewrittenFrom(4),
    verdict: { records: 6, lastSeq: 6 },
  },
  {
    name: 'a tail rewritten with valid hashes differs from the expected head',
    records: rewrittenFrom(4),
    expectedHead: { seq: 6, hash: at(6).hash },
    verdict: [6, 'head-mismatch', /seq 6's hash is not the expected head's/],
  },
  {
    name: 'a tail rewritten after an older anchor differs from it at the anchor',
    records: rewrittenFrom(4),
    expectedHead: { seq: 5, hash: at(5).hash },
    verdict: [5, 'head-mismatch', /seq 5's hash/],
  },
  {
    name: 'a chain grown since its anchor verifies',
    records: chain,
    expectedHead: { seq: 4, hash: at(4).hash },
    verdict: { records: 6, lastSeq: 6 },
  },
  {
    name: 'the rest of a pruned chain verifies from its checkpoint',
    records: tail,
    checkpoint: checkpointAt(3),
    verdict: { records: 3, lastSeq: 6 },
  },
  {
    name: 'a checkpoint with nothing after it verifies',
    records: [],
    checkpoint: checkpointAt(6),
    verdict: { records: 0, lastSeq: 6 },
  },
  {
    name: 'a checkpoint signed by another key is refused',
    records: tail,
    checkpoint: checkpointAt(3, at(3).hash, otherKeys.privateKey),
    verdict: [3, 'bad-checkpoint', /checkpoint at seq 3 has no valid signature/],
  },
  {
    name: 'a checkpoint edited after signing is refused',
    records: tail,
    checkpoint: { ...checkpointAt(3), seq: 2 },
    verdict: [2, 'bad-checkpoint', /no valid signature/],
  },
  {
    name: 'a checkpoint is refused when there is no public key to check it',
    records: tail,
    checkpoint: checkpointAt(3),
    withoutKey: true,
    verdict: [3, 'bad-checkpoint', /no public key/],
  },
  {
    name: 'the first record after a checkpoint must be chained to it',
    records: tail,
    checkpoint: checkpointAt(3, 'e'.repeat(64)),
    verdict: [4, 'broken-link', /seq 4's prevHash is not the checkpoint's hash \(seq 3\)/],
  },
  {
    name: 'records missing after a checkpoint are named',
    records: without(1, 2, 3, 4),
    checkpoint: checkpointAt(3),
    verdict: [4, 'gap', /seq 4 is missing/],
  },
  {
    name: 'records kept after their checkpoint is deleted are a gap',
    records: tail,
    verdict: [1, 'gap', /seqs 1–3 are missing/],
  },
  {
    name: 'an expected head the checkpoint covers is vouched for by its signature',
    records: tail,
    checkpoint: checkpointAt(3),
    expectedHead: { seq: 2, hash: at(2).hash },
    verdict: { records: 3, lastSeq: 6 },
  },
  {
    name: 'an expected head at the checkpoint must match its hash',
    records: [],
    checkpoint: checkpointAt(3),
    expectedHead: { seq: 3, hash: 'f'.repeat(64) },
    verdict: [3, 'head-mismatch', /seq 3's hash/],
  },
];

async function* paged(records: readonly AuditRecord[]): AsyncGenerator<AuditRecord> {
  for (const record of records) yield record;
}

describe('verifyAuditChain', () => {
  for (const { name, records, checkpoint, withoutKey, expectedHead, verdict } of cases) {
    test(name, async () => {
      const publicKey = withoutKey ? undefined : keys.publicKey;
      const result = await verifyAuditChain(
        paged(records),
        checkpoint,
        publicKey,
        expectedHead ? { expectedHead } : {},
      );
      if (Array.isArray(verdict)) {
        const [seq, fault, reason] = verdict;
        assert.equal(result.ok, false, `expected a fault, got ${JSON.stringify(result)}`);
        if (result.ok) return;
        assert.deepEqual([result.seq, result.fault], [seq, fault], result.reason);
        assert.match(result.reason, reason);
      } else {
        assert.deepEqual(result.ok && { records: result.records, lastSeq: result.lastSeq }, verdict);
      }
    });
  }

  test("names a bad segment the store finds after the segment's records", async () => {
    async function* scanned(): AsyncGenerator<AuditRecord> {
      yield* chain.slice(0, 4);
      throw new AuditSegmentError(5, 'the audit segment from seq 1 says it ends at seq 6; its last line is seq 4');
    }
    assert.deepEqual(await verifyAuditChain(scanned(), undefined, keys.publicKey), {
      ok: false,
      seq: 5,
      fault: 'bad-segment',
      reason: 'the audit segment from seq 1 says it ends at seq 6; its last line is seq 4',
    });
  });

  test('names a gap found before a bad segment further on', async () => {
    async function* scanned(): AsyncGenerator<AuditRecord> {
      yield* without(3).slice(0, 4);
      throw new AuditSegmentError(6, 'the audit segment from seq 4 says it ends at seq 6; its last line is seq 5');
    }
    const verdict = await verifyAuditChain(scanned(), undefined, keys.publicKey);
    assert.deepEqual(!verdict.ok && [verdict.seq, verdict.fault], [3, 'gap']);
  });

  test('stops reading at an edited record', async () => {
    let read = 0;
    async function* counting(): AsyncGenerator<AuditRecord> {
      for (const record of replaced(2, (edited) => ({ ...edited, actor: 'x' }))) {
        read += 1;
        yield record;
      }
    }
    const result = await verifyAuditChain(counting(), undefined, undefined);
    assert.equal(result.ok, false);
    assert.equal(read, 2);
  });

  test("takes a plain array as well as a store's pages", async () => {
    assert.deepEqual(await verifyAuditChain(chain, undefined, undefined), {
      ok: true,
      records: 6,
      lastSeq: 6,
      lastHash: at(6).hash,
    });
  });
});
