import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import type { FeatureDrift } from '../drift.ts';
import { RemoteQualityMonitor } from './remote-monitor.ts';

const WINDOW = 300;

function monitor(clock = { now: Date.UTC(2025, 0, 1) }) {
  const closed: Array<{ drift: readonly FeatureDrift[]; changed: string[] }> = [];
  const remote = new RemoteQualityMonitor(
    { name: 'chat', version: '1' },
    {
      windowItems: WINDOW,
      windowMs: 3_600_000,
      now: () => clock.now,
      onWindowClosed: (_model, drift, changed) => closed.push({ drift, changed: changed.map((f) => f.name) }),
    },
  );
  return { remote, closed, clock };
}

/** `count` answered requests: prompt tokens around `prompt`, completion tokens around `completion`, reasons drawn by share. */
function traffic(
  remote: RemoteQualityMonitor,
  seed: number,
  shape: { prompt: number; completion: number; reasons: Record<string, number>; errors?: number },
): void {
  const rng = createRng(seed);
  const reasons = Object.entries(shape.reasons);
  for (let i = 0; i < WINDOW; i += 1) {
    if (rng.next() < (shape.errors ?? 0)) {
      remote.failed('ERR_UPSTREAM_TIMEOUT');
      continue;
    }
    let draw = rng.next();
    const reason = reasons.find(([, share]) => (draw -= share) < 0)?.[0] ?? 'stop';
    const jitter = () => Math.round((rng.next() - 0.5) * 20);
    remote.answered(shape.prompt + jitter(), shape.completion + jitter(), [reason]);
  }
}

const flagged = (drift: readonly FeatureDrift[]) => drift.filter((f) => f.drifted).map((f) => `${f.name}:${f.test}`);
const MIX = { stop: 0.8, length: 0.1, tool_calls: 0.1 };

test('the first closed window is the reference; the same traffic again flags nothing', () => {
  const { remote } = monitor();
  assert.equal(remote.report().reference, null);
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  const first = remote.report();
  assert.equal(first.window.closed, true);
  assert.match(first.reference?.source ?? '', /^the first window closed after start: 300 requests from /);
  assert.equal(first.reference?.rows, WINDOW);
  assert.deepEqual(first.features, [], 'the reference window is not tested against itself');
  traffic(remote, 2, { prompt: 100, completion: 50, reasons: MIX });
  const second = remote.report();
  assert.deepEqual(
    second.features.map((f) => `${f.name}:${f.test}`),
    ['prompt_tokens:ks', 'completion_tokens:ks', 'finish_reason:chisquare', 'error:z'],
  );
  assert.deepEqual(flagged(second.features), []);
  assert.equal(second.dataset_drift?.drifted, false);
});

test('longer prompts are flagged on prompt_tokens by KS, and nothing else', () => {
  const { remote, closed } = monitor();
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  traffic(remote, 2, { prompt: 160, completion: 50, reasons: MIX });
  const report = remote.report();
  assert.deepEqual(flagged(report.features), ['prompt_tokens:ks']);
  const prompt = report.features.find((f) => f.name === 'prompt_tokens');
  assert.ok(prompt !== undefined && prompt.p_value !== null && prompt.p_value < 1e-10);
  assert.deepEqual(closed.at(-1)?.changed, ['prompt_tokens'], 'the flag turning on is reported once');
});

test('a finish_reason mix of many "length" is flagged by chi-squared; two reasons only get the Z-test', () => {
  const { remote } = monitor();
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  traffic(remote, 2, { prompt: 100, completion: 50, reasons: { stop: 0.3, length: 0.6, tool_calls: 0.1 } });
  assert.deepEqual(flagged(remote.report().features), ['finish_reason:chisquare']);

  const binary = monitor().remote;
  traffic(binary, 1, { prompt: 100, completion: 50, reasons: { stop: 0.9, length: 0.1 } });
  traffic(binary, 2, { prompt: 100, completion: 50, reasons: { stop: 0.4, length: 0.6 } });
  assert.deepEqual(flagged(binary.report().features), ['finish_reason:z']);
});

test('errors appearing shift the error mix; failed requests have no tokens', () => {
  const { remote } = monitor();
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  traffic(remote, 2, { prompt: 100, completion: 50, reasons: MIX, errors: 0.2 });
  const report = remote.report();
  assert.deepEqual(flagged(report.features), ['error:z']);
  const error = report.features.find((f) => f.name === 'error');
  const prompt = report.features.find((f) => f.name === 'prompt_tokens');
  assert.equal(error?.live_count, WINDOW);
  assert.ok(prompt !== undefined && prompt.live_count < WINDOW && prompt.live_count > WINDOW * 0.7);
});

test('an operator pins the last closed window: in force once used, and later windows are tested against it', () => {
  const { remote, clock } = monitor();
  assert.equal(remote.candidateOfLastClosed('k1', clock.now), undefined, 'nothing to pin before a window closes');
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  assert.deepEqual(remote.referenceSummary(), {
    source: `the first window closed after start: 300 requests from 2025-01-01T00:00:00.000Z to 2025-01-01T00:00:00.000Z`,
    rows: WINDOW,
    origin: 'first_window',
    made_at: '2025-01-01T00:00:00.000Z',
    made_by: null,
  });
  traffic(remote, 2, { prompt: 160, completion: 50, reasons: MIX });
  assert.deepEqual(flagged(remote.report().features), ['prompt_tokens:ks']);
  clock.now += 1000;
  const candidate = remote.candidateOfLastClosed('k1', clock.now);
  assert.match(candidate?.profile.source ?? '', /^pinned through the admin API by k1 at 2025-01-01T00:00:01.000Z: 300/);
  assert.deepEqual(flagged(remote.report().features), ['prompt_tokens:ks'], 'not in force before it is used');
  candidate?.use();
  assert.deepEqual(remote.referenceSummary(), candidate?.summary);
  assert.deepEqual(
    [candidate?.summary.origin, candidate?.summary.made_at, candidate?.summary.made_by],
    ['pinned', '2025-01-01T00:00:01.000Z', 'k1'],
  );
  assert.deepEqual(remote.report().features, []);
  traffic(remote, 3, { prompt: 160, completion: 50, reasons: MIX });
  assert.deepEqual(flagged(remote.report().features), []);
});

test('a reference pinned before start is in force from the first window, which is tested against it', () => {
  const before = monitor();
  traffic(before.remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  const stored = before.remote.candidateOfLastClosed('k1', before.clock.now);
  assert.ok(stored !== undefined);
  const { remote } = monitor();
  remote.useStored(JSON.parse(JSON.stringify(stored.profile)), '2024-12-31T00:00:00.000Z', 'k1');
  assert.deepEqual(remote.referenceSummary(), { ...stored.summary, made_at: '2024-12-31T00:00:00.000Z' });
  traffic(remote, 2, { prompt: 160, completion: 50, reasons: MIX });
  assert.deepEqual(
    flagged(remote.report().features),
    ['prompt_tokens:ks'],
    'the first window is tested, not made the reference',
  );
  assert.equal(remote.referenceSummary()?.origin, 'pinned');
});

test('a stored pin is put in force unless it is the one in force: the same time and key', () => {
  const { remote, clock } = monitor();
  traffic(remote, 1, { prompt: 100, completion: 50, reasons: MIX });
  const pinned = remote.candidateOfLastClosed('k2', clock.now);
  pinned?.use();
  const profile = pinned?.profile ?? assert.fail();
  assert.equal(remote.useStored(profile, new Date(clock.now).toISOString(), 'k2'), false, 'the pin in force');
  assert.equal(remote.referenceSummary(), pinned?.summary);
  // Read late, an older pin would replace it: stored-pins.ts reads one at a time with the pins (serially).
  assert.equal(remote.useStored(profile, '2024-01-01T00:00:00.000Z', 'k1'), true, 'another pin');
  assert.equal(remote.referenceSummary()?.made_by, 'k1');
});

test('an embeddings model has prompt tokens and errors only: the other features are not tested', () => {
  const { remote } = monitor();
  for (let round = 0; round < 2; round += 1)
    for (let i = 0; i < WINDOW; i += 1) remote.answered(10 + (i % 7), undefined, undefined);
  assert.deepEqual(
    remote.report().features.map((f) => f.name),
    ['prompt_tokens', 'error'],
  );
});
