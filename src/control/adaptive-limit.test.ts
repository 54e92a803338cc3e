import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { AdaptiveLimit, type AdaptiveLimitOptions, type LimitChangeReason, type Permit } from './adaptive-limit.ts';

const WINDOW_MS = 1000;

function create(options: Partial<AdaptiveLimitOptions> = {}): { limiter: AdaptiveLimit; clock: FakeClock } {
  const clock = new FakeClock();
  const limiter = new AdaptiveLimit({
    initialLimit: 10,
    minLimit: 1,
    maxLimit: 1000,
    windowMs: WINDOW_MS,
    clock,
    ...options,
  });
  return { limiter, clock };
}

function acquire(limiter: AdaptiveLimit, count: number): Permit[] {
  const permits: Permit[] = [];
  for (let i = 0; i < count; i += 1) {
    const permit = limiter.tryAcquire();
    assert.ok(permit, `permit ${i + 1} of ${count} refused at limit ${limiter.limit}`);
    permits.push(permit);
  }
  return permits;
}

/**
 * One update window: `inflight` permits (all the limit allows by default) are held for a
 * window's time and released with `rttMs`. A window closes on the first release of the
 * next round, so from the second round on each round moves the limit once.
 */
function round(limiter: AdaptiveLimit, clock: FakeClock, rttMs: number, inflight = limiter.limit): void {
  const permits = acquire(limiter, inflight);
  clock.advance(WINDOW_MS);
  for (const permit of permits) permit.release({ rttMs });
}

/** The integer limit after each of `rounds` rounds. */
function rounds(limiter: AdaptiveLimit, clock: FakeClock, count: number, rttMs: number): number[] {
  return Array.from({ length: count }, () => {
    round(limiter, clock, rttMs);
    return limiter.limit;
  });
}

function isNonDecreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value >= (values[i - 1] ?? value));
}

function isNonIncreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value <= (values[i - 1] ?? value));
}

describe('AdaptiveLimit', () => {
  it('starts at the initial limit with an empty snapshot', () => {
    const { limiter } = create({ initialLimit: 8.7, minLimit: 2, maxLimit: 64 });
    assert.deepEqual(limiter.stats(), {
      limit: 8,
      estimatedLimit: 8.7,
      inflight: 0,
      minLimit: 2,
      maxLimit: 64,
      shortRttMs: 0,
      longRttMs: 0,
      samples: 0,
      drops: 0,
      rejected: 0,
    });
  });

  it('admits no more permits than the limit, and admits again once one is released', () => {
    const { limiter } = create({ initialLimit: 5 });
    const permits = acquire(limiter, 5);
    assert.equal(limiter.tryAcquire(), undefined);
    assert.equal(limiter.tryAcquire(), undefined);
    assert.deepEqual([limiter.stats().inflight, limiter.stats().rejected], [5, 2]);
    permits[0]?.release('ignore');
    assert.ok(limiter.tryAcquire());
    assert.equal(limiter.tryAcquire(), undefined);
  });

  it("admits up to a caller's floor above the limit, never past maxLimit", () => {
    const { limiter } = create({ initialLimit: 5, maxLimit: 8 });
    acquire(limiter, 5);
    assert.ok(limiter.tryAcquire(7));
    assert.ok(limiter.tryAcquire(7));
    assert.equal(limiter.tryAcquire(7), undefined, 'the floor reached');
    assert.ok(limiter.tryAcquire(100));
    assert.equal(limiter.tryAcquire(100), undefined, 'maxLimit reached');
    assert.equal(limiter.limit, 5, 'the limit itself is unchanged');
  });

  it('grows under constant low latency while in-flight work fills the limit', () => {
    const { limiter, clock } = create({ initialLimit: 10 });
    const limits = rounds(limiter, clock, 30, 10);
    assert.ok(isNonDecreasing(limits), limits.join(' '));
    // +0.2 × √limit a window, so √limit rises by ~0.1 a window: √10 + 2.9 ≈ 6.1, a limit of ~37 after 29 windows.
    assert.ok(limiter.limit >= 32 && limiter.limit <= 38, `limit ${limiter.limit}`);
    assert.deepEqual([limiter.stats().shortRttMs, limiter.stats().longRttMs], [10, 10]);
  });

  it('shrinks when latency rises to 3× the baseline', () => {
    const { limiter, clock } = create({ initialLimit: 20 });
    rounds(limiter, clock, 20, 10);
    const before = limiter.limit;
    const limits = rounds(limiter, clock, 12, 30);
    assert.ok(isNonIncreasing(limits), limits.join(' '));
    // Gradient 0.5 smoothed by 0.2: about −10% + 0.2 √limit a window.
    assert.ok(limiter.limit <= before * 0.6, `${before} → ${limiter.limit}`);
  });

  it('recovers once latency returns to the baseline', () => {
    const { limiter, clock } = create({ initialLimit: 20 });
    rounds(limiter, clock, 20, 10);
    rounds(limiter, clock, 12, 30);
    const shrunk = limiter.limit;
    const limits = rounds(limiter, clock, 30, 10);
    assert.ok(isNonDecreasing(limits), limits.join(' '));
    assert.ok(limiter.limit >= shrunk + 8, `${shrunk} → ${limiter.limit}`);
  });

  it('pulls a baseline inflated by a long overload back down faster than its average would', () => {
    const { limiter, clock } = create({ initialLimit: 20, longWindow: 20 });
    rounds(limiter, clock, 10, 10);
    rounds(limiter, clock, 60, 40);
    const inflated = limiter.stats().longRttMs;
    assert.ok(inflated > 35, `baseline ${inflated}`);
    rounds(limiter, clock, 8, 10);
    // The EWMA alone (factor 2/21) would still be above 10 + 30 × (19/21)^7 ≈ 25 ms.
    assert.ok(limiter.stats().longRttMs < 20, `baseline ${limiter.stats().longRttMs}`);
  });

  it('never leaves [min, max], growing or shrinking', () => {
    const { limiter, clock } = create({ initialLimit: 8, minLimit: 5, maxLimit: 12, windowSamples: 1 });
    const seen = [...rounds(limiter, clock, 40, 10), ...rounds(limiter, clock, 60, 100)];
    assert.ok(seen.includes(12) && seen.includes(5), seen.join(' '));
    assert.ok(
      seen.every((limit) => limit >= 5 && limit <= 12),
      seen.join(' '),
    );
    for (let i = 0; i < 10; i += 1) limiter.tryAcquire()?.release('dropped');
    assert.equal(limiter.stats().estimatedLimit, 5);
  });

  it('does not grow on app-limited samples (in flight under half the limit)', () => {
    const { limiter, clock } = create({ initialLimit: 20 });
    for (let i = 0; i < 50; i += 1) round(limiter, clock, 10, 2);
    const stats = limiter.stats();
    assert.deepEqual([stats.estimatedLimit, stats.samples, stats.shortRttMs], [20, 100, 10]);
  });

  it('shrinks by the backoff ratio on a drop, and says so', () => {
    const changes: [number, number, LimitChangeReason][] = [];
    const { limiter } = create({
      initialLimit: 20,
      onChange: (limit, previous, reason) => changes.push([limit, previous, reason]),
    });
    limiter.tryAcquire()?.release('dropped');
    assert.deepEqual([limiter.limit, limiter.stats().drops, limiter.stats().samples], [18, 1, 0]);
    assert.deepEqual(changes, [[18, 20, 'dropped']]);
  });

  it('backs off once for a whole flight that fails together, again for a later flight', () => {
    const { limiter } = create({ initialLimit: 20 });
    const flight = acquire(limiter, 10);
    for (const permit of flight) permit.release('dropped');
    assert.deepEqual([limiter.limit, limiter.stats().drops], [18, 10]);
    limiter.tryAcquire()?.release('dropped');
    assert.equal(limiter.stats().estimatedLimit, 20 * 0.9 * 0.9);
  });

  it('keeps permits already held when the limit falls below them', () => {
    const { limiter } = create({ initialLimit: 10 });
    const held = acquire(limiter, 10);
    held[0]?.release('dropped');
    assert.deepEqual([limiter.limit, limiter.stats().inflight], [9, 9]);
    assert.equal(limiter.tryAcquire(), undefined);
    held[1]?.release('ignore');
    assert.ok(limiter.tryAcquire(), '8 in flight under a limit of 9 admits again');
  });

  it('does not let a window with drops grow the limit', () => {
    const { limiter, clock } = create({ initialLimit: 20, windowSamples: 1 });
    round(limiter, clock, 10);
    const held = acquire(limiter, limiter.limit);
    held[0]?.release('dropped');
    const afterDrop = limiter.stats().estimatedLimit;
    clock.advance(WINDOW_MS);
    for (const permit of held.slice(1)) permit.release({ rttMs: 10 });
    assert.equal(limiter.stats().estimatedLimit, afterDrop);
  });

  it('treats a second release as a no-op', () => {
    const { limiter } = create();
    const permit = limiter.tryAcquire();
    permit?.release({ rttMs: 5 });
    permit?.release({ rttMs: 5 });
    permit?.release('dropped');
    assert.deepEqual([limiter.stats().inflight, limiter.stats().samples, limiter.stats().drops], [0, 1, 0]);
  });

  it('measures nothing on an ignored release', () => {
    const { limiter, clock } = create({ windowSamples: 1 });
    for (let i = 0; i < 5; i += 1) {
      clock.advance(WINDOW_MS);
      limiter.tryAcquire()?.release('ignore');
    }
    assert.deepEqual([limiter.stats().samples, limiter.stats().shortRttMs, limiter.stats().estimatedLimit], [0, 0, 10]);
  });

  it('closes a window only after windowMs and windowSamples, keeping a short window open', () => {
    const { limiter, clock } = create({ initialLimit: 20 });
    const sample = (rttMs: number): void => limiter.tryAcquire()?.release({ rttMs });
    for (let i = 0; i < 15; i += 1) sample(10);
    assert.equal(limiter.stats().shortRttMs, 0, 'enough samples, not enough time');
    clock.advance(WINDOW_MS);
    sample(10);
    assert.equal(limiter.stats().shortRttMs, 10);

    for (let i = 0; i < 5; i += 1) sample(20);
    clock.advance(5 * WINDOW_MS);
    for (let i = 0; i < 4; i += 1) sample(20);
    assert.equal(limiter.stats().shortRttMs, 10, 'enough time, 9 samples');
    sample(30);
    assert.equal(limiter.stats().shortRttMs, 21);
  });

  it('reports integer changes only, with the reason', () => {
    const changes: [number, number, LimitChangeReason][] = [];
    const { limiter, clock } = create({
      initialLimit: 10,
      onChange: (limit, previous, reason) => changes.push([limit, previous, reason]),
    });
    rounds(limiter, clock, 10, 10);
    assert.ok(changes.length > 0 && changes.length < 9, `${changes.length} changes`);
    assert.ok(changes.every(([limit, previous, reason]) => limit === previous + 1 && reason === 'gradient'));
    assert.equal(changes.at(-1)?.[0], limiter.limit);
  });

  it('uses a custom queue size as the headroom', () => {
    const { limiter, clock } = create({ initialLimit: 10, windowSamples: 1, smoothing: 1, queueSize: () => 3 });
    rounds(limiter, clock, 3, 10);
    assert.equal(limiter.limit, 16);
  });

  it('releases the permit even when the RTT is not a number, then throws', () => {
    const { limiter } = create();
    const permit = limiter.tryAcquire();
    assert.throws(() => permit?.release({ rttMs: Number.NaN }), RangeError);
    assert.deepEqual([limiter.stats().inflight, limiter.stats().samples], [0, 0]);
  });

  const invalid: readonly [string, Partial<AdaptiveLimitOptions>][] = [
    ['minLimit 0', { minLimit: 0 }],
    ['maxLimit below minLimit', { minLimit: 5, maxLimit: 4, initialLimit: 5 }],
    ['initialLimit outside [min, max]', { initialLimit: 2000 }],
    ['smoothing 0', { smoothing: 0 }],
    ['smoothing above 1', { smoothing: 1.5 }],
    ['rttTolerance below 1', { rttTolerance: 0.9 }],
    ['longWindow 0', { longWindow: 0 }],
    ['backoffRatio 1', { backoffRatio: 1 }],
    ['negative windowMs', { windowMs: -1 }],
    ['windowSamples 0', { windowSamples: 0 }],
  ];
  for (const [name, options] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => create(options), RangeError);
    });
  }
});
