import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Item } from '../pipeline/request.ts';
import type { Feature } from './features.ts';
import { QualityMonitor } from './quality-monitor.ts';
import type { ReferenceProfile } from './reference-profile.ts';

const FEATURES: Feature[] = [
  { name: 'age', kind: 'numeric', source: 'input', read: (item) => item['age'] as number | undefined },
];
const MODEL = { name: 'noshow-risk', version: '1' };
const REFERENCE: ReferenceProfile = {
  format: 1,
  ...{ model: MODEL.name, version: MODEL.version },
  source: 'the build',
  rows: 500,
  features: { age: { kind: 'numeric', values: Array.from({ length: 500 }, (_, n) => 20 + (n % 50)) } },
};

/** `perSecond` one-item requests a second for `seconds`, ages drawn from `age`, on the monitor's fake clock. */
function feed(
  monitor: QualityMonitor,
  clock: { now: number },
  perSecond: number,
  seconds: number,
  age: (n: number) => number,
) {
  const start = clock.now;
  for (let n = 0; n < perSecond * seconds; n += 1) {
    clock.now = start + Math.floor((n * 1000) / perSecond);
    const item: Item = { age: age(n) };
    monitor.observe([item], undefined);
  }
}

test('above sample_per_second a window holds sampled items, counts every one it saw, and still flags a shift', () => {
  const clock = { now: 1_000_000 };
  const options = { windowItems: 1000, windowMs: 3_600_000, now: () => clock.now, samplePerSecond: 500 };
  const monitor = new QualityMonitor(MODEL, FEATURES, REFERENCE, options);
  feed(monitor, clock, 4000, 1, (n) => 20 + (n % 50)); // the first second: every item, a healthy window closes
  const healthy = monitor.report();
  assert.equal(healthy.window.count, 1000);
  assert.equal(healthy.window.seen, 1000);
  assert.equal(healthy.dataset_drift?.drifted, false);

  feed(monitor, clock, 4000, 3, (n) => 60 + (n % 50)); // shifted, sampled one in eight
  const shifted = monitor.report();
  assert.equal(shifted.window.count, 1000, 'a window closes after 1000 observed items');
  assert.ok(shifted.window.seen >= 7000, `seen ${shifted.window.seen}: every answered item is counted`);
  assert.equal(shifted.features.find((feature) => feature.name === 'age')?.drifted, true);
});

test('with sample_per_second 0 every item is observed', () => {
  const clock = { now: 1_000_000 };
  const options = { windowItems: 1000, windowMs: 3_600_000, now: () => clock.now, samplePerSecond: 0 };
  const monitor = new QualityMonitor(MODEL, FEATURES, REFERENCE, options);
  feed(monitor, clock, 4000, 1, (n) => 20 + (n % 50));
  const report = monitor.report();
  assert.equal(report.window.count, 1000);
  assert.equal(report.window.seen, 1000);
});
