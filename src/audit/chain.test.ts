import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { storedRecord } from '../state/audit-records.ts';
import type { AuditEntry, SpelledEntry } from '../state/store.ts';
import { canonicalJson, GENESIS_HASH, hashRecord, recordContentText, sealEntries, spelled } from './chain.ts';

function made(n: number): AuditEntry {
  return {
    time: `2026-01-01T00:00:0${n}.000Z`,
    actor: `key-${n}`,
    action: 'inference',
    tenant: 'acme',
    details: { model: 'triage', status: 200, n },
  };
}

function entry(n: number): SpelledEntry {
  return spelled(made(n));
}

describe('canonicalJson', () => {
  const cases: { name: string; value: unknown; text: string }[] = [
    {
      name: 'sorts keys at every depth',
      value: { b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } },
      text: '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}',
    },
    {
      name: 'sorts integer-like keys as text, not in JavaScript order',
      value: { 10: 'x', 9: 'y', a: 'z' },
      text: '{"10":"x","9":"y","a":"z"}',
    },
    { name: 'leaves out undefined properties as JSON does', value: { a: undefined, b: 1 }, text: '{"b":1}' },
    { name: 'writes undefined in an array as null', value: [undefined, 1], text: '[null,1]' },
    { name: 'writes non-finite numbers as null', value: { a: Number.NaN, b: Infinity }, text: '{"a":null,"b":null}' },
    { name: 'writes a date as its ISO text', value: { at: new Date(0) }, text: '{"at":"1970-01-01T00:00:00.000Z"}' },
    { name: 'escapes strings as JSON does', value: { 'k"': 'a\nb\u2028' }, text: '{"k\\"":"a\\nb\u2028"}' },
  ];
  for (const { name, value, text } of cases) {
    test(name, () => assert.equal(canonicalJson(value), text));
  }

  test('gives the same text after a round trip through JSON as before', () => {
    const details = { z: [1.5, -0, 1e21], a: { nested: true, gone: undefined }, n: null };
    assert.equal(canonicalJson(JSON.parse(JSON.stringify(details))), canonicalJson(details));
  });

  test('refuses a bigint, which has no JSON form', () => {
    assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  });
});

describe('hashRecord', () => {
  const content = { ...made(1), seq: 1, prevHash: GENESIS_HASH };

  test('is SHA-256 of the canonical content text, which names every field', () => {
    const text = recordContentText(content);
    assert.equal(
      text,
      `{"action":"inference","actor":"key-1","details":{"model":"triage","n":1,"status":200},"prevHash":"${GENESIS_HASH}","seq":1,"tenant":"acme","time":"2026-01-01T00:00:01.000Z"}`,
    );
    assert.equal(hashRecord(content), createHash('sha256').update(text).digest('hex'));
  });

  test('changes when any field changes, and ignores properties outside the record', () => {
    const base = hashRecord(content);
    const variants = [
      { ...content, seq: 2 },
      { ...content, time: '2026-01-01T00:00:02.000Z' },
      { ...content, actor: 'key-2' },
      { ...content, action: 'key.create' },
      { ...content, tenant: null },
      { ...content, details: { ...content.details, status: 500 } },
      { ...content, prevHash: 'f'.repeat(64) },
    ];
    for (const variant of variants) assert.notEqual(hashRecord(variant), base);
    assert.equal(hashRecord({ ...content, extra: 'not hashed' } as typeof content), base);
  });
});

describe('spelled', () => {
  test("keeps an entry's fields and spells its details as canonicalJson does", () => {
    const { details, ...fields } = made(1);
    assert.deepEqual(spelled(made(1)), { ...fields, detailsJson: canonicalJson(details) });
  });

  test('refuses details with a bigint, which have no JSON form', () => {
    assert.throws(() => spelled({ ...made(1), details: { n: 1n } }), TypeError);
  });
});

describe('sealEntries', () => {
  test('numbers an empty chain from 1 and links the first record to the genesis hash', () => {
    const records = sealEntries([entry(1), entry(2), entry(3)])(undefined);
    assert.deepEqual(
      records.map((record) => record.seq),
      [1, 2, 3],
    );
    assert.equal(records[0]?.prevHash, GENESIS_HASH);
    assert.equal(records[1]?.prevHash, records[0]?.hash);
    assert.equal(records[2]?.prevHash, records[1]?.hash);
    for (const record of records) assert.equal(record.hash, hashRecord(storedRecord(record)));
  });

  test('hashes and keeps the canonical text of each record of a batch whose actions, actors and tenants change', () => {
    const varied: SpelledEntry[] = [
      entry(1),
      { ...entry(2), tenant: null },
      { ...entry(3), tenant: null },
      { ...entry(4), action: 'key.create' },
      { ...entry(5), action: 'key.create', actor: 'key-4', tenant: 'other "tenant"' },
      { ...entry(6), actor: 'key-4' },
      entry(7),
    ];
    const records = sealEntries(varied)(undefined);
    for (const record of records) {
      assert.equal(record.hashed, recordContentText(storedRecord(record)));
      assert.equal(record.hash, hashRecord(storedRecord(record)));
    }
  });

  test('continues from the head it is given, and gives the same records when called again', () => {
    const seal = sealEntries([entry(4), entry(5)]);
    const head = { seq: 41, hash: 'a'.repeat(64) };
    const records = seal(head);
    assert.deepEqual(
      records.map((record) => [record.seq, record.actor]),
      [
        [42, 'key-4'],
        [43, 'key-5'],
      ],
    );
    assert.equal(records[0]?.prevHash, head.hash);
    assert.deepEqual(seal(head), records);
  });

  test('seals nothing for no entries', () => {
    assert.deepEqual(sealEntries([])({ seq: 3, hash: 'b'.repeat(64) }), []);
  });
});
