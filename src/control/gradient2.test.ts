import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  longRttDecay,
  nextGradientLimit,
  squareRootQueueSize,
  type GradientParams,
  type WindowMeasure,
} from './gradient2.ts';

const params: GradientParams = {
  minLimit: 2,
  maxLimit: 100,
  smoothing: 0.2,
  rttTolerance: 1.5,
  queueSize: squareRootQueueSize,
};

function measure(shortRttMs: number, longRttMs: number, maxInflight: number, dropped = false): WindowMeasure {
  return { shortRttMs, longRttMs, maxInflight, dropped };
}

interface Case {
  readonly name: string;
  readonly limit: number;
  readonly window: WindowMeasure;
  readonly params?: Partial<GradientParams>;
  readonly expected: number;
}

// limit 16: √16 = 4 headroom; next = 16 × 0.8 + (16 × gradient + 4) × 0.2
const cases: readonly Case[] = [
  {
    name: 'latency at the baseline: gradient 1, grows by smoothing × √limit',
    limit: 16,
    window: measure(10, 10, 16),
    expected: 16.8,
  },
  { name: 'latency within tolerance (1.4×): still gradient 1', limit: 16, window: measure(14, 10, 16), expected: 16.8 },
  { name: 'latency faster than baseline: gradient capped at 1', limit: 16, window: measure(5, 10, 16), expected: 16.8 },
  {
    name: 'latency 2× baseline: gradient 0.75',
    limit: 16,
    window: measure(20, 10, 16),
    expected: 16 * 0.8 + (12 + 4) * 0.2,
  },
  {
    name: 'latency 3× baseline: gradient floor 0.5',
    limit: 16,
    window: measure(30, 10, 16),
    expected: 16 * 0.8 + (8 + 4) * 0.2,
  },
  {
    name: 'latency 10× baseline: still no more than half before smoothing',
    limit: 16,
    window: measure(100, 10, 16),
    expected: 16 * 0.8 + (8 + 4) * 0.2,
  },
  {
    name: 'app-limited (in-flight < limit / 2) at low latency: unchanged',
    limit: 16,
    window: measure(10, 10, 7),
    expected: 16,
  },
  { name: 'app-limited at high latency: unchanged too', limit: 16, window: measure(30, 10, 7), expected: 16 },
  {
    name: "app-limited against a caller's floor above the limit (in-flight < room / 2): unchanged",
    limit: 16,
    window: { ...measure(30, 10, 12), room: 40 },
    expected: 16,
  },
  {
    name: 'exactly half the limit in flight counts as saturated',
    limit: 16,
    window: measure(10, 10, 8),
    expected: 16.8,
  },
  { name: 'a window with drops does not grow', limit: 16, window: measure(10, 10, 16, true), expected: 16 },
  {
    name: 'a window with drops still shrinks',
    limit: 16,
    window: measure(30, 10, 16, true),
    expected: 16 * 0.8 + (8 + 4) * 0.2,
  },
  { name: 'clamped at max', limit: 100, window: measure(10, 10, 100), expected: 100 },
  { name: 'clamped at min', limit: 2, window: measure(100, 10, 2), params: { queueSize: () => 0 }, expected: 2 },
  {
    name: 'smoothing 1 takes the new estimate outright',
    limit: 16,
    window: measure(30, 10, 16),
    params: { smoothing: 1 },
    expected: 12,
  },
  {
    name: 'tolerance 1 shrinks at any rise',
    limit: 16,
    window: measure(12.5, 10, 16),
    params: { rttTolerance: 1 },
    expected: 16 * 0.8 + (12.8 + 4) * 0.2,
  },
  { name: 'a fixed queue size', limit: 16, window: measure(10, 10, 16), params: { queueSize: () => 10 }, expected: 18 },
  {
    name: 'queue size sees the integer limit',
    limit: 16.9,
    window: measure(10, 10, 16),
    params: { queueSize: (limit) => limit },
    expected: 16.9 + 16 * 0.2,
  },
  { name: 'a zero short RTT counts as no queueing', limit: 16, window: measure(0, 10, 16), expected: 16.8 },
];

describe('nextGradientLimit', () => {
  for (const { name, limit, window, params: overrides, expected } of cases) {
    it(name, () => {
      const actual = nextGradientLimit(limit, window, { ...params, ...overrides });
      assert.ok(Math.abs(actual - expected) < 1e-9, `expected ${expected}, got ${actual}`);
    });
  }
});

describe('longRttDecay', () => {
  it('pulls the baseline down by 10% only when it exceeds twice the short RTT', () => {
    assert.deepEqual(
      [longRttDecay(10, 10), longRttDecay(20, 10), longRttDecay(20.1, 10), longRttDecay(10, 0)],
      [1, 1, 0.9, 1],
    );
  });
});
