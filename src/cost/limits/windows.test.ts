import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { windowOf, type WindowKind } from './windows.ts';

const at = (iso: string) => Date.parse(iso);

describe('limit windows', () => {
  const cases: ReadonlyArray<[WindowKind, string, string, string]> = [
    ['minute', '2026-12-07T18:03:27.500Z', '2026-12-07T18:03:00.000Z', '2026-12-07T18:04:00.000Z'],
    ['minute', '2026-12-07T18:03:00.000Z', '2026-12-07T18:03:00.000Z', '2026-12-07T18:04:00.000Z'],
    ['day', '2026-12-07T23:59:59.999Z', '2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z'],
    ['month', '2026-12-07T18:00:00.000Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00.000Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
  ];
  for (const [kind, now, start, end] of cases) {
    test(`the ${kind} window of ${now} runs from ${start} to ${end}`, () => {
      assert.deepEqual(windowOf(kind, at(now)), { startMs: at(start), endMs: at(end) });
    });
  }
});
