import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultInjector, faultsUpdateSchema } from './faults.ts';

const drawMany = (injector: FaultInjector, count: number) =>
  Array.from({ length: count }, () => injector.draw() ?? 'none');

test('no faults by default', () => {
  const injector = new FaultInjector();
  assert.deepEqual(new Set(drawMany(injector, 50)), new Set(['none']));
});

test('a rate of 1 always fires; rates in between are reproducible from the seed', () => {
  assert.deepEqual(new Set(drawMany(new FaultInjector({ error_rate: 1 }), 20)), new Set(['error']));
  const first = drawMany(new FaultInjector({ error_rate: 0.3, reset_rate: 0.2, seed: 7 }), 200);
  const again = drawMany(new FaultInjector({ error_rate: 0.3, reset_rate: 0.2, seed: 7 }), 200);
  assert.deepEqual(first, again);
  const errors = first.filter((kind) => kind === 'error').length;
  assert.ok(errors > 30 && errors < 90, `about 30% errors, got ${errors}`);
  assert.ok(first.includes('reset') && first.includes('none'));
});

test('setting the seed restarts the stream; updates keep the fields they do not name', () => {
  const injector = new FaultInjector({ hang_rate: 0.5, seed: 3 });
  const first = drawMany(injector, 30);
  const faults = injector.update({ seed: 3, slow_factor: 4 });
  assert.deepEqual(drawMany(injector, 30), first);
  assert.equal(faults.hang_rate, 0.5);
  assert.equal(faults.slow_factor, 4);
  assert.equal(injector.counts().hang, first.filter((kind) => kind === 'hang').length * 2);
});

test('the update schema refuses out-of-range rates and unknown fields', () => {
  assert.equal(faultsUpdateSchema.safeParse({ error_rate: 1.5 }).success, false);
  assert.equal(faultsUpdateSchema.safeParse({ slow_factor: 0 }).success, false);
  assert.equal(faultsUpdateSchema.safeParse({ typo_rate: 0.1 }).success, false);
  assert.equal(faultsUpdateSchema.safeParse({ reset_rate: 0.25, seed: 9 }).success, true);
});
