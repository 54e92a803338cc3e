import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { PeakEwma } from './peak-ewma.ts';

describe('PeakEwma', () => {
  it('starts at the initial cost and takes the first sample as is', () => {
    const clock = new FakeClock();
    const ewma = new PeakEwma(clock, { initialCostMs: 42 });
    assert.equal(ewma.costMs(), 42);
    assert.equal(ewma.sampled, false);
    clock.advance(60_000);
    assert.equal(ewma.costMs(), 42, 'no samples, no decay');
    ewma.observe(10);
    assert.equal(ewma.costMs(), 10);
  });

  it('jumps to a new peak at once', () => {
    const clock = new FakeClock();
    const ewma = new PeakEwma(clock);
    ewma.observe(10);
    clock.advance(1);
    ewma.observe(500);
    assert.equal(ewma.costMs(), 500);
  });

  it('decays with the time constant while idle', () => {
    const clock = new FakeClock();
    const ewma = new PeakEwma(clock, { decayMs: 10_000 });
    ewma.observe(100);
    clock.advance(10_000);
    assert.ok(Math.abs(ewma.costMs() - 100 / Math.E) < 1e-9);
    clock.advance(90_000);
    assert.ok(ewma.costMs() < 0.01);
  });

  it('blends a lower sample by the time since the last one', () => {
    const clock = new FakeClock();
    const ewma = new PeakEwma(clock, { decayMs: 10_000 });
    ewma.observe(100);
    clock.advance(1_000);
    const decayed = 100 * Math.exp(-0.1);
    ewma.observe(10);
    const weight = Math.exp(-0.1);
    assert.ok(Math.abs(ewma.costMs() - (decayed * weight + 10 * (1 - weight))) < 1e-9);
    // A burst of fast samples at the same instant barely moves it: weight is 1 at Δt = 0.
    const before = ewma.costMs();
    ewma.observe(1);
    assert.ok(Math.abs(ewma.costMs() - before) < 1e-9);
  });

  it('reading the cost does not change it', () => {
    const clock = new FakeClock();
    const seen = new PeakEwma(clock);
    const unseen = new PeakEwma(clock);
    for (const ewma of [seen, unseen]) ewma.observe(80);
    for (let step = 0; step < 10; step += 1) {
      clock.advance(100);
      seen.costMs();
    }
    seen.observe(20);
    unseen.observe(20);
    assert.equal(seen.costMs(), unseen.costMs());
  });

  it('load multiplies the cost by pending + 1', () => {
    const clock = new FakeClock();
    const ewma = new PeakEwma(clock);
    ewma.observe(20);
    assert.equal(ewma.load(0), 20);
    assert.equal(ewma.load(3), 80);
    assert.throws(() => new PeakEwma(clock, { decayMs: 0 }), RangeError);
  });
});
