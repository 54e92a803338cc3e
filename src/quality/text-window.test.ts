import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Item } from '../pipeline/request.ts';
import type { Feature } from './features.ts';
import type { OovDrift } from './oov-drift.ts';
import { QualityMonitor } from './quality-monitor.ts';
import { captureReference } from './reference-capture.ts';
import type { ReferenceProfile } from './reference-profile.ts';
import { OovCounts } from './sketches/oov-counts.ts';
import { tokenize } from './sketches/text-summary.ts';
import { MAX_SAMPLED_TOKENS } from './text-window.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-text-window-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const MODEL = { name: 'triage', version: '1' };
const LENGTH: Feature = {
  name: 'text.length',
  kind: 'numeric',
  source: 'input',
  read: (item) => String(item['text']).length,
};
const KNOWN = ['my', 'knee', 'hurts', 'since', 'monday', 'please', 'call', 'back'];
/** Texts of the known words, every `unknownEvery`-th word made up; all 19 characters long. */
const texts = (count: number, unknownEvery = 0): Item[] =>
  Array.from({ length: count }, (_, n) => {
    const chosen = [0, 1, 2].map((k) => KNOWN[(n + k) % KNOWN.length] ?? 'my');
    if (unknownEvery > 0 && n % unknownEvery === 0) chosen[1] = 'zq';
    return { text: chosen.join(' ').padEnd(19, '.') };
  });

/** A reference whose vocabulary is the known words, its rate measured on 100 texts with a made-up word in one of ten. */
const heldOut = new OovCounts();
for (const item of texts(100, 10)) heldOut.add(tokenize(String(item['text'])), new Set(KNOWN));
const reference: ReferenceProfile = {
  ...{ format: 1, model: 'triage', version: '1', source: 'a test', rows: 3 },
  features: { 'text.length': { kind: 'numeric', values: [19, 19, 19] } },
  text: { text: { vocabulary: KNOWN, vocabulary_items: 100, held_out: heldOut.toJSON() } },
};

const monitorOf = (profile: ReferenceProfile | undefined, windowItems = 200) =>
  new QualityMonitor(
    MODEL,
    [LENGTH],
    profile,
    { windowItems, windowMs: 3_600_000, now: () => 0 },
    'reject',
    undefined,
    ['text'],
  );

const oovOf = (monitor: QualityMonitor) =>
  monitor.report().features.find((feature) => feature.name === 'text.oov_rate') as OovDrift | undefined;

describe('the text fields of a monitored window', () => {
  test('count tokens and unknown tokens per window, starting again at zero when a window closes', () => {
    const monitor = monitorOf(reference);
    monitor.observe(texts(200, 10), undefined);
    const closed = oovOf(monitor);
    assert.deepEqual([closed?.tokens, closed?.oov_tokens, closed?.live_count], [600, 20, 200]);
    assert.equal(closed?.drifted, false);
    monitor.observe(texts(150), undefined);
    monitor.observe(texts(50, 1), undefined);
    const next = oovOf(monitor);
    assert.deepEqual([next?.tokens, next?.oov_tokens], [600, 50], 'the second window counts its own items only');
    assert.equal(next?.drifted, true);
    assert.deepEqual(
      monitor
        .report()
        .features.filter((feature) => feature.drifted)
        .map((feature) => feature.name),
      ['text.oov_rate'],
      'the lengths did not move',
    );
    assert.deepEqual(monitor.report().dataset_drift, { drifted: true, share: 0.5, threshold: 0.5 });
  });

  test('under a profile without a vocabulary are watched but not tested, and the report says so', () => {
    const { text: _text, ...older } = reference;
    const monitor = monitorOf(older);
    monitor.observe(texts(200, 1), undefined);
    const report = monitor.report();
    assert.deepEqual(
      report.features.map((feature) => feature.name),
      ['text.length'],
    );
    assert.equal(report.untested[0]?.name, 'text.oov_rate');
    assert.match(report.untested[0]?.reason ?? '', /no vocabulary for "text".*make a new profile/);
  });

  test('give a reference captured from live traffic a vocabulary and a held-out rate from the sampled texts', () => {
    const monitor = monitorOf(undefined);
    monitor.observe(texts(200, 10), undefined);
    const { profile } = captureReference({
      ...{ model: MODEL, monitor, modelDir: directory, window: 'last_closed', actor: 'k', at: 0 },
      vocabularySize: 5,
    });
    const captured = profile.text?.['text'];
    assert.equal(captured?.vocabulary.length, 5);
    assert.deepEqual([captured?.vocabulary_items, captured?.held_out.items], [100, 100]);
    assert.ok((captured?.held_out.oov_tokens ?? 0) > 0, 'the held-out half meets words the vocabulary left out');
    monitor.observe(texts(200, 10), undefined);
    assert.equal(oovOf(monitor), undefined, 'the window open at the capture keeps its reference');
    monitor.observe(texts(200, 10), undefined);
    assert.equal(oovOf(monitor)?.vocabulary_size, 5, 'windows opened after the capture are tested against it');
  });

  test('keep at most 128 tokens of a sampled text, however long', () => {
    const monitor = monitorOf(reference, 10_000);
    monitor.observe([{ text: 'my knee '.repeat(1_000) }], undefined);
    const tokens = monitor.sampleOf('current')?.texts[0]?.[0];
    assert.equal(tokens?.length, MAX_SAMPLED_TOKENS);
    assert.equal(oovOf(monitor)?.tokens, 2_000, 'the window counts every token');
  });
});
