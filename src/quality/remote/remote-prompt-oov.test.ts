/** A remote model's prompts' out-of-vocabulary rate, in its monitor (prompt-window.ts does the counting). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import type { FeatureDrift } from '../drift.ts';
import { isOovDrift } from '../oov-drift.ts';
import type { ReferenceProfile } from '../reference-profile.ts';
import { RemoteQualityMonitor } from './remote-monitor.ts';

const WINDOW = 300;
const ENGLISH = 'when will my lab results be ready please call me about the visit next week thanks'.split(' ');
const SPANISH = 'cuando estaran listos mis resultados por favor llame sobre la cita semana gracias'.split(' ');

function monitor(vocabularySize?: number) {
  const clock = { now: Date.UTC(2025, 0, 1) };
  const options = { windowItems: WINDOW, windowMs: 3_600_000, now: () => clock.now };
  const remote = new RemoteQualityMonitor(
    { name: 'chat', version: '1' },
    vocabularySize === undefined ? options : { ...options, vocabularySize },
  );
  return { remote, clock };
}

/** `count` answered chats alike in tokens and finish reasons, their words foreign with probability `foreign`. */
function chats(remote: RemoteQualityMonitor, seed: number, foreign = 0, count = WINDOW): void {
  const rng = createRng(seed);
  for (let i = 0; i < count; i += 1) {
    const words = Array.from({ length: 8 + rng.int(8) }, () => {
      const from = rng.next() < foreign ? SPANISH : ENGLISH;
      return from[rng.int(from.length)] as string;
    });
    remote.answered(100 + rng.int(20), 50 + rng.int(20), ['stop'], words);
  }
}

const flagged = (drift: readonly FeatureDrift[]) => drift.filter((f) => f.drifted).map((f) => `${f.name}:${f.test}`);
const oov = (drift: readonly FeatureDrift[]) =>
  drift.filter(isOovDrift).find((feature) => feature.name === 'prompt.oov_rate');

test("the first window's prompts are the reference's vocabulary; a quarter of foreign words flags prompt.oov_rate alone", () => {
  const { remote } = monitor();
  chats(remote, 1);
  assert.deepEqual(remote.report().features, []);
  chats(remote, 2);
  const same = remote.report();
  assert.deepEqual(
    same.features.map((f) => `${f.name}:${f.test}`),
    ['prompt_tokens:ks', 'completion_tokens:ks', 'finish_reason:z', 'error:z', 'prompt.oov_rate:oov_band'],
  );
  assert.deepEqual(flagged(same.features), []);
  chats(remote, 3, 0.25);
  const shifted = remote.report();
  assert.deepEqual(flagged(shifted.features), ['prompt.oov_rate:oov_band']);
  const entry = oov(shifted.features);
  assert.equal(entry?.kind, 'text_oov');
  assert.equal(entry?.live_count, WINDOW);
  assert.equal(entry?.reference_count, WINDOW / 2, 'the held-out half of the first window');
  assert.equal(entry?.p_value, null);
});

test('a pinned reference keeps its vocabulary of prompts as JSON, bounded by vocabulary_size, and tests from it', () => {
  const before = monitor(10);
  chats(before.remote, 1);
  chats(before.remote, 2);
  const pinned = before.remote.candidateOfLastClosed('k1', before.clock.now);
  assert.ok(pinned !== undefined);
  const stored = JSON.parse(JSON.stringify(pinned.profile)) as ReferenceProfile;
  assert.equal(stored.text?.['prompt']?.vocabulary.length, 10);
  assert.equal(stored.text?.['prompt']?.vocabulary_items, WINDOW / 2);
  const { remote } = monitor();
  remote.useStored(stored, '2024-12-31T00:00:00.000Z', 'k1');
  chats(remote, 3);
  // Ten of the fifteen English words are known: about a third of the words read as unknown, as in the reference.
  const first = remote.report();
  assert.deepEqual(flagged(first.features), []);
  assert.ok((oov(first.features)?.rate ?? 0) > 0.2);
  chats(remote, 4, 0.5);
  assert.deepEqual(flagged(remote.report().features), ['prompt.oov_rate:oov_band']);
});

test('a window open when a reference is pinned counts its prompts from the pin on', () => {
  const { remote, clock } = monitor();
  chats(remote, 1);
  chats(remote, 2);
  chats(remote, 3, 0, 100);
  remote.candidateOfLastClosed('k1', clock.now)?.use();
  chats(remote, 4, 0, 200);
  assert.equal(oov(remote.report().features)?.live_count, 200);
});

test('a reference without a vocabulary of prompts (pinned before one was kept) lists the rate as untested', () => {
  const before = monitor();
  chats(before.remote, 1);
  chats(before.remote, 2);
  const profile = before.remote.candidateOfLastClosed('k1', before.clock.now)?.profile;
  assert.ok(profile !== undefined);
  const { text: _text, ...older } = profile;
  const { remote } = monitor();
  remote.useStored(older, '2024-12-31T00:00:00.000Z', 'k1');
  chats(remote, 3);
  const report = remote.report();
  assert.equal(oov(report.features), undefined);
  assert.deepEqual(
    report.untested.map((feature) => feature.name),
    ['prompt.oov_rate'],
  );
});
