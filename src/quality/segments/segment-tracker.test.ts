import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SEGMENT_VALUES, SegmentTracker, type SegmentSeries } from './segment-tracker.ts';
import { segmentReader, type SegmentSource } from './segment-value.ts';

const source = (text: string, tier?: string): SegmentSource => ({
  items: undefined,
  document: { prompt: text, ...(tier === undefined ? {} : { tier }) },
  tenant: 'default',
});

function tracker(windowItems = 1000, clock = { now: 0 }) {
  const recorded: Array<{ segment: string; value: string; ok: boolean; seconds: number | undefined }> = [];
  const series = (segment: string, value: string): SegmentSeries => ({
    record: (ok, seconds) => recorded.push({ segment, value, ok, seconds }),
  });
  const segments = [
    { name: 'length', read: segmentReader({ name: 'length', by: 'text_length', field: 'prompt', buckets: [10] }) },
    { name: 'tier', read: segmentReader({ name: 'tier', by: 'field', field: 'tier' }) },
  ];
  return {
    tracker: new SegmentTracker(segments, { windowItems, windowMs: 60_000, now: () => clock.now, series }),
    recorded,
  };
}

test('errors and latencies are counted per segment value: long prompts failing show in the long bucket only', () => {
  const { tracker: segments } = tracker();
  for (let i = 1; i <= 100; i += 1) segments.record(source('short'), true, i);
  for (let i = 0; i < 20; i += 1) segments.record(source('x'.repeat(50)), i >= 15, 500);
  const length = segments.report().filter((entry) => entry.segment === 'length');
  assert.deepEqual(
    length.map(({ value, requests, errors, error_rate }) => ({ value, requests, errors, error_rate })),
    [
      { value: '0-10', requests: 100, errors: 0, error_rate: 0 },
      { value: '11+', requests: 20, errors: 15, error_rate: 0.75 },
    ],
  );
  const short = length[0];
  assert.ok(short !== undefined && short.p50_ms !== null && short.p99_ms !== null);
  assert.ok(Math.abs(short.p50_ms - 50) <= 2, String(short.p50_ms));
  assert.ok(short.p99_ms >= 98, String(short.p99_ms));
  assert.equal(length[1]?.p50_ms, 500, 'errors have no latency: only the five answered ones count');
});

test('each request reaches its series once per segment, with seconds only when it was answered', () => {
  const { tracker: segments, recorded } = tracker();
  segments.record(source('hello', 'gold'), true, 250);
  segments.record(source('hello'), false, 10);
  assert.deepEqual(recorded, [
    { segment: 'length', value: '0-10', ok: true, seconds: 0.25 },
    { segment: 'tier', value: 'gold', ok: true, seconds: 0.25 },
    { segment: 'length', value: '0-10', ok: false, seconds: undefined },
    { segment: 'tier', value: '(none)', ok: false, seconds: undefined },
  ]);
});

test('a segment names at most MAX_SEGMENT_VALUES values; later ones share (other)', () => {
  const { tracker: segments } = tracker();
  for (let i = 0; i < MAX_SEGMENT_VALUES + 10; i += 1) segments.record(source('a', `tier-${i}`), true, 1);
  segments.record(source('a', 'tier-0'), true, 1);
  const tiers = segments.report().filter((entry) => entry.segment === 'tier');
  assert.equal(tiers.length, MAX_SEGMENT_VALUES + 1);
  assert.equal(tiers.find((entry) => entry.value === '(other)')?.requests, 10);
  assert.equal(tiers.find((entry) => entry.value === 'tier-0')?.requests, 2);
});

test('the report reads the last closed window once one has closed, by items or by time', () => {
  const clock = { now: 0 };
  const { tracker: segments } = tracker(3, clock);
  for (let i = 0; i < 3; i += 1) segments.record(source('a'), false, 1);
  segments.record(source('a'), true, 1);
  const first = segments.report().find((entry) => entry.segment === 'length');
  assert.deepEqual([first?.requests, first?.errors], [3, 3]);
  clock.now = 61_000;
  segments.record(source('a'), true, 1);
  const second = segments.report().find((entry) => entry.segment === 'length');
  assert.deepEqual([second?.requests, second?.errors], [1, 0], 'the window of one answered request closed by time');
});
