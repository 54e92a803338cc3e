import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePolicy, type BatchPolicy } from './batch-policy.ts';
import { FakeClock } from '../../../core/clock.ts';
import { nextBatch, type BatchDecision } from './next-batch.ts';

/** 'idle', 'run:n' or 'wait:ms', so a whole row of the table reads at a glance. */
function brief(decision: BatchDecision): string {
  switch (decision.action) {
    case 'idle':
      return 'idle';
    case 'run':
      return `run:${decision.size}`;
    case 'wait':
      return `wait:${decision.ms}`;
  }
}

function policy(maxBatchSize: number, maxQueueDelayMs: number, preferredBatchSizes: number[] = []): BatchPolicy {
  return normalisePolicy({ maxBatchSize, maxQueueDelayMs, preferredBatchSizes, ragged: 'group' });
}

/** Decisions for queue sizes 0..max+3 when the oldest row arrived `ageMs` ago, on a fake clock. */
function decisionsAtAge(batchPolicy: BatchPolicy, ageMs: number): string[] {
  const clock = new FakeClock(1000);
  const oldestArrivalMs = clock.now();
  clock.advance(ageMs);
  return Array.from({ length: batchPolicy.maxBatchSize + 4 }, (_, queued) =>
    brief(nextBatch({ queued, oldestArrivalMs }, clock.now(), batchPolicy)),
  );
}

interface Case {
  readonly name: string;
  readonly policy: BatchPolicy;
  /** Expected decisions, indexed by queue size 0..max+3, per age of the oldest row. */
  readonly byAge: Readonly<Record<number, readonly string[]>>;
}

const cases: readonly Case[] = [
  {
    name: 'max 4, delay 10, no preferred sizes (max stands in as the only preferred size)',
    policy: policy(4, 10),
    byAge: {
      0: ['idle', 'wait:10', 'wait:10', 'wait:10', 'run:4', 'run:4', 'run:4', 'run:4'],
      4: ['idle', 'wait:6', 'wait:6', 'wait:6', 'run:4', 'run:4', 'run:4', 'run:4'],
      9.5: ['idle', 'wait:0.5', 'wait:0.5', 'wait:0.5', 'run:4', 'run:4', 'run:4', 'run:4'],
      10: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:4', 'run:4', 'run:4'],
      25: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:4', 'run:4', 'run:4'],
    },
  },
  {
    name: 'max 8, delay 10, preferred [2, 4]: the largest preferred size runs at once, everything once expired',
    policy: policy(8, 10, [4, 2]),
    byAge: {
      0: ['idle', 'wait:10', 'run:2', 'run:2', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4'],
      6: ['idle', 'wait:4', 'run:2', 'run:2', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4'],
      10: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:5', 'run:6', 'run:7', 'run:8', 'run:8', 'run:8', 'run:8'],
      11: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:5', 'run:6', 'run:7', 'run:8', 'run:8', 'run:8', 'run:8'],
    },
  },
  {
    name: 'max 4, delay 10, preferred [2, 4]: max among the preferred sizes',
    policy: policy(4, 10, [2, 4]),
    byAge: {
      3: ['idle', 'wait:7', 'run:2', 'run:2', 'run:4', 'run:4', 'run:4', 'run:4'],
      10: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:4', 'run:4', 'run:4'],
    },
  },
  {
    name: 'max 6, delay 5, preferred [3]',
    policy: policy(6, 5, [3]),
    byAge: {
      1: ['idle', 'wait:4', 'wait:4', 'run:3', 'run:3', 'run:3', 'run:3', 'run:3', 'run:3', 'run:3'],
      5: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:5', 'run:6', 'run:6', 'run:6', 'run:6'],
      7: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:5', 'run:6', 'run:6', 'run:6', 'run:6'],
    },
  },
  {
    name: 'max 4, delay 0, no preferred sizes: run what is there at once',
    policy: policy(4, 0),
    byAge: {
      0: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:4', 'run:4', 'run:4'],
      50: ['idle', 'run:1', 'run:2', 'run:3', 'run:4', 'run:4', 'run:4', 'run:4'],
    },
  },
  {
    name: 'max 8, delay 0, preferred [2, 4]: at once, the largest preferred size that fits, else all',
    policy: policy(8, 0, [2, 4]),
    byAge: {
      0: ['idle', 'run:1', 'run:2', 'run:2', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4'],
      30: ['idle', 'run:1', 'run:2', 'run:2', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4', 'run:4'],
    },
  },
  {
    name: 'max 1, delay 10: every row runs alone, at once',
    policy: policy(1, 10),
    byAge: {
      0: ['idle', 'run:1', 'run:1', 'run:1', 'run:1'],
      10: ['idle', 'run:1', 'run:1', 'run:1', 'run:1'],
      20: ['idle', 'run:1', 'run:1', 'run:1', 'run:1'],
    },
  },
  {
    name: 'max 1, delay 0, preferred [1]',
    policy: policy(1, 0, [1]),
    byAge: {
      0: ['idle', 'run:1', 'run:1', 'run:1', 'run:1'],
    },
  },
];

describe('nextBatch decision table (queue sizes 0..max+3)', () => {
  for (const testCase of cases) {
    for (const [age, expected] of Object.entries(testCase.byAge)) {
      it(`${testCase.name}; oldest row ${age} ms old`, () => {
        assert.deepEqual(decisionsAtAge(testCase.policy, Number(age)), expected);
      });
    }
  }
});

describe('nextBatch invariants', () => {
  const policies = [
    policy(1, 0),
    policy(1, 7),
    policy(4, 0),
    policy(4, 7, [2]),
    policy(8, 7, [3, 5]),
    policy(8, 7, [2, 4, 8]),
    policy(16, 2.5, [1]),
  ];
  const ages = [0, 1, 2.5, 3, 6.999, 7, 7.001, 100];

  it('never runs more rows than are queued or than max_batch_size, and waits only as long as the delay has left', () => {
    for (const batchPolicy of policies) {
      for (const ageMs of ages) {
        for (let queued = 0; queued <= batchPolicy.maxBatchSize + 3; queued += 1) {
          const nowMs = 50 + ageMs;
          const decision = nextBatch({ queued, oldestArrivalMs: 50 }, nowMs, batchPolicy);
          const context = `${JSON.stringify(batchPolicy)} queued=${queued} age=${ageMs}`;
          assert.equal(decision.action === 'idle', queued === 0, context);
          if (decision.action === 'run') {
            assert.ok(decision.size >= 1 && decision.size <= Math.min(queued, batchPolicy.maxBatchSize), context);
          }
          if (queued > 0 && batchPolicy.maxQueueDelayMs > 0 && ageMs >= batchPolicy.maxQueueDelayMs) {
            assert.deepEqual(
              decision,
              { action: 'run', size: Math.min(queued, batchPolicy.maxBatchSize) },
              `expired: ${context}`,
            );
          }
          if (decision.action === 'wait') {
            assert.ok(batchPolicy.maxQueueDelayMs > 0 && ageMs < batchPolicy.maxQueueDelayMs, context);
            assert.equal(decision.ms, batchPolicy.maxQueueDelayMs - (nowMs - 50), context);
          }
        }
      }
    }
  });

  it('is pure: the same inputs give the same decision', () => {
    const batchPolicy = policy(8, 10, [2, 4]);
    const first = nextBatch({ queued: 3, oldestArrivalMs: 0 }, 4, batchPolicy);
    assert.deepEqual(nextBatch({ queued: 3, oldestArrivalMs: 0 }, 4, batchPolicy), first);
  });

  it('reads the age from the oldest arrival, not from zero', () => {
    assert.deepEqual(nextBatch({ queued: 1, oldestArrivalMs: 1_000_000 }, 1_000_003, policy(4, 10)), {
      action: 'wait',
      ms: 7,
    });
  });
});

describe('normalisePolicy', () => {
  it('sorts and de-duplicates preferred sizes', () => {
    assert.deepEqual(policy(8, 1, [4, 2, 4]).preferredBatchSizes, [2, 4]);
  });

  it('rejects values the decision cannot honour', () => {
    assert.throws(() => policy(0, 1), /max_batch_size/);
    assert.throws(() => policy(2.5, 1), /max_batch_size/);
    assert.throws(() => policy(4, -1), /max_queue_delay_ms/);
    assert.throws(() => policy(4, Number.POSITIVE_INFINITY), /max_queue_delay_ms/);
    assert.throws(() => policy(4, 1, [5]), /preferred batch size 5/);
    assert.throws(() => policy(4, 1, [0]), /preferred batch size 0/);
  });
});
