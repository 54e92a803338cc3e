import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from './iso-time.ts';

test('isoTime writes every time as toISOString does, across seconds, days, years, the epoch and back again', () => {
  const times = [
    Date.UTC(2026, 11, 8, 3, 46, 24, 123),
    Date.UTC(2026, 11, 8, 3, 46, 24, 0),
    Date.UTC(2026, 11, 8, 3, 46, 24, 999),
    Date.UTC(2026, 11, 8, 3, 46, 25, 7),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1, 0, 0, 0, 0),
    Date.UTC(2026, 11, 8, 3, 46, 24, 500), // the clock went back
    0,
    -1,
    -999,
    -1000,
    -1001,
    Date.UTC(10000, 0, 1, 0, 0, 0, 42), // six-digit years
    Date.UTC(-1, 5, 1, 12, 0, 0, 1),
  ];
  for (const time of times) assert.equal(isoTime(time), new Date(time).toISOString(), String(time));
});

test('isoTime without a time is now', () => {
  const before = Date.now();
  const text = isoTime();
  const after = Date.now();
  const read = Date.parse(text);
  assert.ok(read >= before && read <= after, `${text} is not between ${before} and ${after}`);
});
