import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snakeCaseKeys } from './snake-case.ts';

test('every key at any depth turns snake_case; values, arrays and snake_case keys stay as they are', () => {
  const input = {
    lastDecision: { atMs: 5, reason: 'upScale' },
    batch_stats: [{ batchSize: 2 }],
    p99Ms: 1,
    ready: true,
  };
  assert.deepEqual(snakeCaseKeys(input), {
    last_decision: { at_ms: 5, reason: 'upScale' },
    batch_stats: [{ batch_size: 2 }],
    p99_ms: 1,
    ready: true,
  });
  assert.equal(snakeCaseKeys(null), null);
  assert.deepEqual(snakeCaseKeys([1, 'a']), [1, 'a']);
});
