import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { recordContentText, sealEntries, spelled } from '../audit/chain.ts';
import {
  cutSegment,
  matchesQuery,
  recordsOf,
  segmentMismatch,
  segmentOf,
  type SegmentColumns,
} from './audit-segments.ts';
import type { AuditEntry, AuditRecord, SealedRecord } from './store.ts';
import { storedRecord } from './audit-records.ts';

function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    actor: n % 2 === 0 ? 'k-even' : 'k-odd',
    action: 'inference',
    tenant: n === 3 ? null : 'acme',
    details: { n, text: 'naïve "quoted" \\ and a\nline break', big: 1e21, tiny: 1e-7, nested: { b: [1, null], a: {} } },
    ...overrides,
  };
}

const sealed: readonly SealedRecord[] = sealEntries([0, 1, 2, 3, 4].map((n) => spelled(entry(n))))(undefined);
const read = (records: readonly SealedRecord[]): AuditRecord[] =>
  records.map((record) => JSON.parse(JSON.stringify(storedRecord(record))) as AuditRecord);

describe('a segment of audit records', () => {
  test('holds one line a record: the text its hash was taken over, the hash added last', () => {
    const segment = segmentOf(sealed);
    const lines = segment.text.split('\n');
    assert.equal(lines.length, 5);
    lines.forEach((line, index) => {
      const record = sealed[index] as SealedRecord;
      const hashField = `,"hash":"${record.hash}"}`;
      assert.ok(line.endsWith(hashField), `line ${index + 1} ends with its hash`);
      const hashed = `${line.slice(0, -hashField.length)}}`;
      assert.equal(hashed, recordContentText(storedRecord(record), record.detailsJson));
      assert.equal(createHash('sha256').update(hashed).digest('hex'), record.hash);
    });
    assert.deepEqual(recordsOf(segment.text, 1), read(sealed));
  });

  test('says its seqs, time range, last hash and the distinct actors, actions and tenants in it', () => {
    const late = sealEntries([entry(9), entry(2, { actor: 'k-odd', action: 'key.create' })].map(spelled))(
      sealed.at(-1),
    );
    const segment = segmentOf(late);
    assert.deepEqual(
      [segment.firstSeq, segment.lastSeq, segment.minTime, segment.maxTime, segment.lastHash],
      [6, 7, entry(2).time, entry(9).time, late.at(-1)?.hash],
    );
    assert.deepEqual(segmentOf(sealed).keys, [
      { kind: 'actor', value: 'k-even' },
      { kind: 'actor', value: 'k-odd' },
      { kind: 'action', value: 'inference' },
      { kind: 'tenant', value: 'acme' },
    ]);
  });

  test('is cut after a seq keeping the later lines byte for byte', () => {
    const { text } = segmentOf(sealed);
    const cut = cutSegment(text, 1, 2);
    assert.equal(cut.hashAtSeq, sealed[1]?.hash);
    assert.equal(cut.rest?.text, text.split('\n').slice(2).join('\n'));
    assert.deepEqual([cut.rest?.firstSeq, cut.rest?.lastSeq, cut.rest?.minTime], [3, 5, entry(2).time]);
    assert.deepEqual(cutSegment(text, 1, 5), { hashAtSeq: sealed[4]?.hash, rest: undefined });
  });

  test('refuses a line that is not a record, naming the segment and the line', () => {
    const lines = segmentOf(sealed).text.split('\n');
    const broken = (line: string): string => [lines[0], line, ...lines.slice(2)].join('\n');
    assert.throws(
      () => recordsOf(broken('{"seq":2,'), 1),
      /^Error: line 2 of the audit segment from seq 1 is not JSON/,
    );
    assert.throws(
      () => recordsOf(broken('{"seq":"2"}'), 1),
      /line 2 of the audit segment from seq 1 is not an audit record/,
    );
    const noDetails = JSON.stringify({ ...(JSON.parse(lines[1] ?? '') as object), details: [] });
    assert.throws(() => recordsOf(broken(noDetails), 1), /not an audit record/);
  });

  test('refuses details written on more than one line', () => {
    const indented = sealed.map((record) => ({
      ...record,
      hashed: recordContentText(storedRecord(record), JSON.stringify(JSON.parse(record.detailsJson), null, 2)),
    }));
    assert.throws(() => segmentOf(indented), /audit record 1's details are not JSON on one line/);
  });

  test("a query's filters keep the records matching all of them: from inclusive, to exclusive, after a seq", () => {
    const records = read(sealed);
    const kept = (query: Parameters<typeof matchesQuery>[0]) => records.filter(matchesQuery(query)).map((r) => r.seq);
    assert.deepEqual(kept({ limit: 9 }), [1, 2, 3, 4, 5]);
    assert.deepEqual(kept({ from: entry(1).time, to: entry(3).time, limit: 9 }), [2, 3]);
    assert.deepEqual(kept({ actor: 'k-odd', afterSeq: 2, limit: 9 }), [4]);
    assert.deepEqual(kept({ tenant: 'acme', action: 'inference', limit: 9 }), [1, 2, 3, 5]);
  });

  test("names where a segment's own columns and key rows disagree with its records", () => {
    const segment = segmentOf(sealed);
    const records = recordsOf(segment.text, 1);
    const asWritten: SegmentColumns = segment;
    const cases: [string, Partial<SegmentColumns>, readonly AuditRecord[], [number, RegExp] | undefined][] = [
      ['as written', {}, records, undefined],
      ['a first seq moved', { firstSeq: 2 }, records, [2, /^the audit segment from seq 2 holds records from seq 1$/]],
      [
        'lines cut from its end',
        {},
        records.slice(0, 3),
        [4, /from seq 1 says it ends at seq 5; its last line is seq 3$/],
      ],
      ['a last seq cut short', { lastSeq: 4 }, records, [5, /says it ends at seq 4; its last line is seq 5$/]],
      [
        'another last hash',
        { lastHash: 'f'.repeat(64) },
        records,
        [5, /from seq 1's last hash is not the hash of seq 5$/],
      ],
      ['a narrower time range', { maxTime: entry(3).time }, records, [1, /times run from .* to .*; they run from/]],
      ['a wider time range', { minTime: entry(-1).time }, records, [1, /times run from/]],
      [
        'a key row missing',
        { keys: segment.keys.filter((key) => key.kind !== 'tenant') },
        records,
        [1, /^the audit segment from seq 1 has no key row for tenant "acme", which its records hold$/],
      ],
      [
        'a key row too many',
        { keys: [...segment.keys, { kind: 'actor', value: 'k-none' }] },
        records,
        [1, /has a key row for actor "k-none", which none of its records hold$/],
      ],
    ];
    for (const [name, change, held, expected] of cases) {
      const mismatch = segmentMismatch({ ...asWritten, ...change }, held);
      assert.equal(mismatch?.seq, expected?.[0], name);
      if (expected !== undefined) assert.match(mismatch?.reason ?? '', expected[1], name);
    }
  });
});
