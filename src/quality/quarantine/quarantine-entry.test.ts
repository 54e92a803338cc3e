import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError, type RequestFailure } from '../../core/errors.ts';
import type { ItemLabel } from '../../pipeline/request.ts';
import {
  MAX_FAILURES,
  MAX_PAYLOAD_CHARS,
  itemOf,
  quarantineEntry,
  rejectionOf,
  type RejectedContext,
  type Rejection,
} from './quarantine-entry.ts';

const v1: ItemLabel = (index) => `instances[${index}]`;
const v2: ItemLabel = (index) => `inputs (item ${index})`;
const oneString: ItemLabel = () => 'input';
const strings: ItemLabel = (index) => `input[${index}]`;

describe('itemOf', () => {
  const cases: Array<[field: string, label: ItemLabel | undefined, item: number | null]> = [
    ['instances[3].age', v1, 3],
    ['instances[12]', v1, 12],
    ['inputs (item 2).age', v2, 2],
    ['input', oneString, 0],
    ['input[4]', strings, 4],
    ['messages[2].content', undefined, null],
    ['model', v1, null],
    ['instances[3]x', v1, null],
  ];
  for (const [field, label, item] of cases) {
    test(`finds item ${item} in "${field}"`, () => assert.equal(itemOf(field, label), item));
  }
});

function context(overrides: Partial<RejectedContext> = {}): RejectedContext {
  return {
    target: { name: 'noshow-risk', version: '1' },
    request: {
      items: { decode: () => [], label: v1 },
      document: { instances: [{ age: 300, note: 'write to jane.doe@example.com' }] },
    },
    ...overrides,
  };
}

const invalid = (failures: readonly RequestFailure[]) =>
  new SluiceError('ERR_REQUEST_INVALID', 'bad items', { failures });

describe('rejectionOf', () => {
  test('takes a validate-stage refusal with its failures, the target and the body, read later', () => {
    const failures = [{ field: 'instances[0].age', rule: 'must be <= 120' }];
    const rejection = rejectionOf(context(), invalid(failures), 42);
    assert.deepEqual(rejection && { ...rejection, label: typeof rejection.label, body: rejection.body() }, {
      model: 'noshow-risk',
      version: '1',
      at: 42,
      code: 'ERR_REQUEST_INVALID',
      failures,
      label: 'function',
      body: context().request.document,
    });
  });

  test('takes a tensor that cannot be decoded as one failure named by its field', () => {
    const error = new SluiceError('ERR_TENSOR_DATATYPE', 'input "age" is FP32, not BYTES', { field: 'age' });
    assert.deepEqual(rejectionOf(context(), error, 1)?.failures, [
      { field: 'age', rule: 'input "age" is FP32, not BYTES' },
    ]);
  });

  test('leaves refusals that are not about the data, and failures after the validate stage', () => {
    const failures = [{ field: 'x', rule: 'y' }];
    const prepared = { run: () => Promise.reject(new Error('unused')) };
    assert.equal(rejectionOf(context({ prepared }), invalid(failures), 1), undefined, 'prepared: it was valid');
    assert.equal(rejectionOf(context({ target: undefined }), invalid(failures), 1), undefined, 'no model resolved');
    const shed = new SluiceError('ERR_ADMISSION_QUEUE_FULL', 'queue full');
    assert.equal(rejectionOf(context(), shed, 1), undefined);
    const forbidden = new SluiceError('ERR_AUTH_MODEL_FORBIDDEN', 'no');
    assert.equal(rejectionOf(context(), forbidden, 1), undefined);
  });
});

function rejection(overrides: Partial<Rejection> = {}): Rejection {
  return {
    model: 'noshow-risk',
    version: '1',
    at: Date.UTC(2026, 2, 1),
    code: 'ERR_REQUEST_INVALID',
    failures: [{ field: 'instances[1].contact', rule: 'unknown field "jane.doe@example.com"' }],
    label: v1,
    body: () => ({ instances: [{ age: 30 }, { note: 'call me at jane.doe@example.com', age: 31 }] }),
    ...overrides,
  };
}

describe('quarantineEntry', () => {
  test('redacts the payload and the failures: no e-mail address is kept', () => {
    const entry = quarantineEntry(rejection());
    assert.deepEqual(entry, {
      model: 'noshow-risk',
      version: '1',
      time: '2026-03-01T00:00:00.000Z',
      code: 'ERR_REQUEST_INVALID',
      failures: [{ item: 1, field: 'instances[1].contact', rule: 'unknown field "[REDACTED:email]"' }],
      failuresTotal: 1,
      payload: { instances: [{ age: 30 }, { note: 'call me at [REDACTED:email]', age: 31 }] },
    });
    assert.doesNotMatch(JSON.stringify(entry), /jane\.doe/);
  });

  test(`keeps the first ${MAX_FAILURES} failures and counts them all`, () => {
    const failures = Array.from({ length: 250 }, (_, n) => ({ field: `instances[${n}].age`, rule: 'is required' }));
    const entry = quarantineEntry(rejection({ failures }));
    assert.equal(entry.failures.length, MAX_FAILURES);
    assert.equal(entry.failuresTotal, 250);
    assert.equal(entry.failures.at(-1)?.item, MAX_FAILURES - 1);
  });

  test('cuts a payload too large to keep, and keeps an unreadable one as a note', () => {
    const longKeys = Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`${'k'.repeat(500)}${n}`, n]));
    assert.ok(JSON.stringify(longKeys).length > MAX_PAYLOAD_CHARS);
    assert.equal(quarantineEntry(rejection({ body: () => longKeys })).payload, '[REDACTED:size]');
    const huge = 'x'.repeat(1_000_000);
    const cut = quarantineEntry(rejection({ body: () => ({ text: huge }) })).payload as { text: string };
    assert.ok(cut.text.length < 100_000, 'a long string is cut by the redactor, not stored whole');
    const unreadable = rejection({
      body: () => {
        throw new Error('a binary body whose JSON form cannot be made');
      },
    });
    assert.equal(quarantineEntry(unreadable).payload, '[REDACTED:unreadable]');
    assert.equal(quarantineEntry(rejection({ body: () => ({ n: 10n }) })).payload, '[REDACTED:unreadable]');
  });
});
