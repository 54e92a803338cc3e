import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { decodeTimeMs, prefillTimeMs, type LatencyConfig } from './latency-model.ts';
import { SequenceScheduler, type SequenceSpec, type SubmitVerdict } from './scheduler.ts';

const latency = (): LatencyConfig => ({
  prefillMs: 10,
  prefillPerTokenMs: 1,
  decodeMs: 5,
  prefillContention: 0.5,
  decodeContention: 0.25,
  slowFactor: 1,
});

interface Trace {
  tokenTimes: number[];
  done: boolean;
}

function setup(maxNumSeqs: number, maxQueue = 10) {
  const clock = new FakeClock();
  const scheduler = new SequenceScheduler(clock, { maxNumSeqs, maxQueue, latency: latency() });
  const submit = (promptTokens: number, completionTokens: number, overrides: Partial<SequenceSpec> = {}) => {
    const trace: Trace = { tokenTimes: [], done: false };
    const verdict = scheduler.submit({
      promptTokens,
      completionTokens,
      cost: 1,
      onToken: () => trace.tokenTimes.push(clock.now()),
      onDone: () => (trace.done = true),
      ...overrides,
    });
    return { trace, verdict };
  };
  return { clock, scheduler, submit };
}

function handle(verdict: SubmitVerdict) {
  assert.ok(verdict.accepted);
  return verdict.sequence;
}

test('the latency formulas grow with the number of running sequences', () => {
  assert.equal(prefillTimeMs(latency(), 10, 1, 1), 20);
  assert.equal(prefillTimeMs(latency(), 10, 3, 1), 40);
  assert.equal(decodeTimeMs(latency(), 1, 1), 5);
  assert.equal(decodeTimeMs(latency(), 5, 2), 20);
  assert.equal(decodeTimeMs({ ...latency(), slowFactor: 10 }, 1, 1), 50);
});

test('a lone sequence gets its first token after the prefill, then one token per decode step', () => {
  const { clock, scheduler, submit } = setup(4);
  const { trace } = submit(10, 3);
  clock.advance(100);
  assert.deepEqual(trace.tokenTimes, [20, 25, 30]);
  assert.ok(trace.done);
  assert.deepEqual(
    { ...scheduler.stats() },
    {
      running: 0,
      queued: 0,
      completed: 1,
      cancelled: 0,
      rejected: 0,
      tokens_generated: 3,
      mean_ttft_ms: 20,
      mean_inter_token_ms: 5,
    },
  );
});

test('time to first token and time per token grow with concurrency', () => {
  const { clock, submit } = setup(4);
  const first = submit(10, 3).trace;
  const second = submit(10, 3).trace;
  clock.advance(200);
  // The first prefill starts alone (20); the second starts with two running (20 × 1.5).
  // Decode steps cost 5 × 1.25 while both run; after the first ends (32.5), 5 alone.
  assert.deepEqual(first.tokenTimes, [20, 26.25, 32.5]);
  assert.deepEqual(second.tokenTimes, [30, 36.25, 41.25]);
});

test('beyond max_num_seqs requests wait FIFO and start as slots free up', () => {
  const { clock, scheduler, submit } = setup(1);
  const first = submit(0, 2).trace;
  const second = submit(0, 1).trace;
  const third = submit(0, 1).trace;
  assert.deepEqual([scheduler.stats().running, scheduler.stats().queued], [1, 2]);
  clock.advance(15); // first: prefill 10, one decode 5
  assert.ok(first.done);
  assert.deepEqual([second.tokenTimes, third.tokenTimes], [[], []]);
  clock.advance(10);
  assert.deepEqual(second.tokenTimes, [25]);
  assert.deepEqual(third.tokenTimes, []);
  clock.advance(10);
  assert.deepEqual(third.tokenTimes, [35]);
  assert.equal(scheduler.stats().completed, 3);
});

test('a full queue refuses with a retry hint, and counts the refusal', () => {
  const { scheduler, submit } = setup(1, 1);
  submit(0, 5);
  submit(0, 5);
  const { verdict } = submit(0, 5);
  assert.deepEqual(verdict, { accepted: false, reason: 'queue_full', retryAfterS: 1 });
  assert.deepEqual([scheduler.stats().running, scheduler.stats().queued, scheduler.stats().rejected], [1, 1, 1]);
});

test('cancelling a running sequence frees its slot for the next in line', () => {
  const { clock, scheduler, submit } = setup(1);
  const first = submit(0, 100);
  const second = submit(0, 1).trace;
  clock.advance(12);
  handle(first.verdict).cancel();
  handle(first.verdict).cancel();
  assert.deepEqual([scheduler.stats().running, scheduler.stats().queued, scheduler.stats().cancelled], [1, 0, 1]);
  clock.advance(10);
  assert.deepEqual(second.tokenTimes, [22]);
  assert.equal(first.trace.done, false);
  assert.equal(first.trace.tokenTimes.length, 1, 'no tokens after the cancel');
});

test('cancelling a queued sequence removes it from the queue', () => {
  const { clock, scheduler, submit } = setup(1);
  submit(0, 1);
  const waiting = submit(0, 1);
  handle(waiting.verdict).cancel();
  assert.deepEqual([scheduler.stats().queued, scheduler.stats().cancelled], [0, 1]);
  clock.advance(100);
  assert.deepEqual(waiting.trace.tokenTimes, []);
  assert.equal(scheduler.stats().completed, 1);
});

test('a slower latency applies to the steps that start after the change', () => {
  const { clock, scheduler, submit } = setup(1);
  const { trace } = submit(0, 3);
  clock.advance(10);
  scheduler.setLatency({ slowFactor: 10 });
  clock.advance(1000);
  // Token 2 was armed before the change (5 ms), token 3 after it (50 ms).
  assert.deepEqual(trace.tokenTimes, [10, 15, 65]);
});
