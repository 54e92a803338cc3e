import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestFailure, SchemaFailureKind } from '../core/errors.ts';
import { SCHEMA_BAND, SchemaCounters, schemaBand } from './schema-counters.ts';

const broken = (item: number, input: string, kind: SchemaFailureKind): RequestFailure => ({
  field: `instances[${item}].${input}`,
  rule: 'broken',
  schema: { input, kind },
});

test('each kind of failure is counted per field, and a refused item counts once however many fields it broke', () => {
  const counters = new SchemaCounters();
  counters.accepted(96);
  counters.rejected(
    [
      broken(0, 'age', 'null'),
      broken(0, 'channel', 'new_category'),
      broken(1, 'age', 'type_mismatch'),
      broken(2, 'age', 'out_of_range'),
      broken(3, 'colour', 'unknown'),
    ],
    1_000,
  );
  const report = counters.report();
  assert.equal(report.items, 100);
  const age = report.fields.find((field) => field.field === 'age');
  assert.deepEqual(
    { null: age?.null, type_mismatch: age?.type_mismatch, out_of_range: age?.out_of_range, missing: age?.missing },
    { null: 1, type_mismatch: 1, out_of_range: 1, missing: 0 },
  );
  assert.equal(age?.rate, 0.03);
  assert.equal(age?.flagged, true, '3% is above the 1% band of a field the reference never lacked');
  assert.equal(age?.first_seen, new Date(1_000).toISOString());
  assert.deepEqual(
    report.fields.map((field) => [field.field, field.flagged]),
    [
      ['age', true],
      ['channel', false],
      ['colour', false],
    ],
  );
});

test('a field the reference data often lacked is flagged only when it is missing more often than that', () => {
  const baseline = { items: 1_000, missing: { phone: 200 } };
  const healthy = new SchemaCounters(baseline);
  healthy.accepted(1_000);
  healthy.filled('phone', 210, 0);
  const usual = healthy.report().fields[0];
  assert.equal(usual?.reference_rate, 0.2);
  assert.equal(usual?.rate, 0.21);
  assert.equal(usual?.flagged, false, 'within 0.2 + 3 standard deviations of a window of 1000');
  const drifted = new SchemaCounters(baseline);
  drifted.accepted(1_000);
  drifted.filled('phone', 320, 0);
  assert.equal(drifted.report().fields[0]?.flagged, true);
});

test('the band is the reference rate plus the larger of 1% and three binomial standard deviations', () => {
  assert.equal(schemaBand(0, 1_000), SCHEMA_BAND);
  assert.equal(schemaBand(0.2, 1_000), 0.2 + 3 * Math.sqrt((0.2 * 0.8) / 1_000));
  assert.equal(schemaBand(0.2, 10), 0.2 + 3 * Math.sqrt((0.2 * 0.8) / 10), 'a small window is given more room');
  assert.equal(schemaBand(0.9, 4), 1);
});
