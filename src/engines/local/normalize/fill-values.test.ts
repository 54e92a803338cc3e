import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReferenceProfile } from '../../../quality/reference-profile.ts';
import { resolveFills, typical } from './fill-values.ts';

const profile: ReferenceProfile = {
  format: 1,
  model: 'm',
  version: '1',
  source: 'test',
  rows: 6,
  features: {
    age: { kind: 'numeric', values: [50, 20, 90, 30, 40, 70] },
    visits: { kind: 'numeric', values: [3, 1, 2] },
    channel: { kind: 'categorical', counts: { web: 5, phone: 2, referral: 5 } },
    reminder_sent: { kind: 'categorical', counts: { true: 4, false: 2 } },
    empty: { kind: 'numeric', values: [] },
  },
};

const input = (name: string, datatype: string, fill: unknown, schema?: Record<string, unknown>) =>
  ({ name, datatype, fill, ...(schema === undefined ? {} : { schema }) }) as Parameters<typeof resolveFills>[0][number];

test('the lower median of numbers (a value the reference holds), the mode of categories with ties by name', () => {
  assert.equal(typical({ kind: 'numeric', values: [50, 20, 90, 30, 40, 70] }), 40, 'even count: the lower middle');
  assert.equal(typical({ kind: 'numeric', values: [3, 1, 2] }), 2);
  assert.equal(typical({ kind: 'numeric', values: [Number.NaN, 5] }), 5, 'non-finite values are not in the median');
  assert.equal(typical({ kind: 'categorical', counts: { web: 5, phone: 2, referral: 5 } }), 'referral');
  assert.equal(typical({ kind: 'numeric', values: [] }), undefined);
});

test('a constant fill is a default, a reference fill is imputed, each typed as its field', () => {
  const { fills, issues } = resolveFills(
    [
      input('age', 'FP32', { from: 'reference' }, { type: 'number', minimum: 0 }),
      input('visits', 'INT64', { from: 'reference' }, { type: 'integer' }),
      input('channel', 'BYTES', { from: 'reference' }),
      input('reminder_sent', 'BOOL', { from: 'reference' }, { type: 'boolean' }),
      input('weekday', 'BYTES', { value: 'mon' }, { type: 'string', enum: ['mon', 'tue'] }),
      input('text', 'BYTES', undefined),
    ],
    () => profile,
  );
  assert.deepEqual(issues, []);
  assert.deepEqual(Object.fromEntries(fills), {
    age: { value: 40, kind: 'imputed' },
    visits: { value: 2, kind: 'imputed' },
    channel: { value: 'referral', kind: 'imputed' },
    reminder_sent: { value: true, kind: 'imputed' },
    weekday: { value: 'mon', kind: 'defaulted' },
  });
});

test('a fill that cannot be settled is an issue naming its key and why', () => {
  const { issues } = resolveFills(
    [
      input('weekday', 'BYTES', { value: 'someday' }, { type: 'string', enum: ['mon', 'tue'] }),
      input('height', 'FP32', { from: 'reference' }),
      input('empty', 'FP32', { from: 'reference' }),
      input('age', 'FP32', { from: 'reference' }, { type: 'number', maximum: 30 }),
    ],
    () => profile,
  );
  assert.deepEqual(issues, [
    {
      path: ['inputs', 0, 'fill'],
      message: '"someday" breaks the field\'s schema: must be equal to one of the allowed values',
    },
    { path: ['inputs', 1, 'fill'], message: 'from reference, but the reference profile has no feature "height"' },
    { path: ['inputs', 2, 'fill'], message: 'from reference, but the reference profile holds no value of "empty"' },
    { path: ['inputs', 3, 'fill'], message: "40 breaks the field's schema: must be <= 30" },
  ]);
  const none = resolveFills([input('age', 'FP32', { from: 'reference' })], () => undefined);
  assert.match(none.issues[0]?.message ?? '', /has no reference profile/);
});

test('the reference profile is not read when no field fills from it', () => {
  let reads = 0;
  resolveFills([input('weekday', 'BYTES', { value: 'mon' })], () => {
    reads += 1;
    return profile;
  });
  assert.equal(reads, 0);
});
