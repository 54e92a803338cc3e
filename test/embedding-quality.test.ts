/**
 * Embedding drift end to end on the default embed model and its built reference: its golden
 * texts flag nothing; text from another domain, as long as the golden texts, flags the
 * embedding and, its words being new, the text's out-of-vocabulary rate, not its length.
 * The built profile and `sluice profile` both keep the reference vectors' statistics and
 * the text's vocabulary.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { qualityExporter } from '../src/http/quality-plugin.ts';
import { profileModelVersion } from '../src/offline/profile/profile-model.ts';
import { readProfile } from '../src/quality/reference-profile.ts';
import type { Sluice } from '../src/http/server.ts';
import { defaultModelsDir } from './support/models.ts';
import { WINDOW, drifted, goldenItems, monitored, replay, report, type Item } from './support/quality-replay.ts';

let repository: string;
before(async () => {
  repository = await defaultModelsDir();
});

const golden = (model: string): Item[] => goldenItems(repository, model);

/**
 * Text from another domain, each as long as the golden text it stands for, so the text
 * lengths (the embed model's input feature) are the golden set's exactly and only what the
 * texts say has moved.
 */
const ELSEWHERE =
  'Preheat the oven to two hundred degrees and line a baking tray with parchment paper. Whisk the eggs with ' +
  'sugar until pale, then fold in the sifted flour and a pinch of salt. The home side pressed high from the ' +
  'kick-off and scored twice before half time, but the visitors levelled with a header from a corner and a ' +
  'late penalty. Rain is expected across the northern hills tonight, clearing by morning with a light westerly ' +
  'breeze and temperatures around twelve degrees. The compiler rejected the generic constraint because the ' +
  'trait bound was not satisfied for the borrowed iterator, so we rewrote the adapter to own its buffer. ' +
  "Stocks closed slightly higher on Friday as investors weighed the central bank's remarks on inflation " +
  'against weaker retail figures. Water the tomato seedlings every other morning and pinch out the side ' +
  'shoots once the first truss has set. Our train left the coast at dawn and climbed slowly through ' +
  'vineyards and olive groves towards the old mountain town. ';

function elsewhere(items: ReadonlyArray<Item>): Item[] {
  const pool = ELSEWHERE.repeat(4);
  return items.map((item, index) => {
    const length = String(item['text']).length;
    const start = (index * 97) % ELSEWHERE.length;
    return { text: pool.slice(start, start + length) };
  });
}

describe('embedding drift against the embed model’s reference', () => {
  let sluice: Sluice;
  before(async () => (sluice = await monitored(repository)));
  after(async () => sluice.close());

  test("the embed model's golden texts replayed: the embedding is tested and nothing is flagged", async () => {
    await replay(sluice, 'embed', golden('embed').slice(0, WINDOW));
    const result = await report(sluice, 'embed');
    assert.equal(result.window.count, WINDOW);
    const embedding = result.features.find((feature) => feature.name === 'embedding');
    assert.equal(embedding?.kind, 'embedding');
    assert.equal(embedding?.test, 'mean_distance');
    assert.equal(embedding?.live_count, WINDOW);
    assert.equal(embedding?.reference_count, 1000);
    assert.ok(embedding.statistic < embedding.threshold / 2, JSON.stringify(embedding));
    assert.deepEqual(drifted(result), []);
  });

  test('text from another domain, as long as the golden texts, is flagged on the embedding and its new words, not its length', async () => {
    const shifted = elsewhere(golden('embed').slice(0, WINDOW));
    assert.deepEqual(
      shifted.map((item) => String(item['text']).length),
      golden('embed')
        .slice(0, WINDOW)
        .map((item) => String(item['text']).length),
    );
    await replay(sluice, 'embed', shifted);
    const result = await report(sluice, 'embed');
    assert.deepEqual(
      drifted(result),
      ['text.oov_rate:oov_band', 'embedding:mean_distance'],
      JSON.stringify(result.features),
    );
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /sluice_quality_feature_drift\{model="embed",version="1",feature="embedding"\} 1/);
    assert.match(metrics, /sluice_quality_feature_drift\{model="embed",version="1",feature="text.length"\} 0/);
  });

  test('the embedding and OOV flags turning on are logged as any feature’s are, with their figures', async () => {
    const lines: Array<{ level: number; msg: string; statistic?: number; threshold?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    // The last window's drift, with the features whose flag turned on since the golden window.
    const { features } = await report(sluice, 'embed');
    const turnedOn = features.filter((feature) => feature.drifted);
    qualityExporter(new Registry(), logger)({ name: 'embed', version: '1' }, features, turnedOn, {
      items: 0,
      fields: [],
    });
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg]),
      [
        [40, 'data drift: embed:1 feature "text.oov_rate" drifted'],
        [40, 'data drift: embed:1 feature "embedding" drifted'],
      ],
    );
    for (const line of lines) assert.ok((line.statistic ?? 0) > (line.threshold ?? Infinity));
  });

  test('the built profile and `sluice profile` both record the reference vectors’ mean and spread', async () => {
    const built = readProfile(join(repository, 'embed', '1'));
    assert.equal(built?.embedding?.dimensions, 64);
    assert.equal(built.embedding.count, 1000);
    assert.ok(Math.abs(built.embedding.mean_norm - 1) < 1e-6, 'the embed model writes unit vectors');
    const items = golden('embed').slice(0, 200);
    const profiled = await profileModelVersion(join(repository, 'embed', '1'), items, { source: 'test' });
    assert.equal(profiled.embedding?.count, 200);
    assert.equal(profiled.embedding.mean.length, 64);
    assert.ok(profiled.embedding.variance.every((variance) => variance > 0));
    assert.equal(readProfile(join(repository, 'triage-small', '1'))?.embedding, undefined);
  });

  test('the built profile and `sluice profile` both split the texts: a vocabulary from one half, the OOV rate on the other', async () => {
    const built = readProfile(join(repository, 'embed', '1'))?.text?.['text'];
    assert.equal(built?.vocabulary_items, 500);
    assert.equal(built.held_out.items, 500);
    assert.ok(built.vocabulary.length > 500 && built.vocabulary.length <= 10_000, `${built.vocabulary.length}`);
    const rate = built.held_out.oov_tokens / built.held_out.tokens;
    assert.ok(rate > 0.05 && rate < 0.15, `held-out rate ${rate}: honest, not 0`);
    const profiled = await profileModelVersion(join(repository, 'embed', '1'), golden('embed').slice(0, 201), {
      source: 'test',
      vocabularySize: 50,
    });
    const text = profiled.text?.['text'];
    assert.deepEqual([text?.vocabulary.length, text?.vocabulary_items, text?.held_out.items], [50, 101, 100]);
    assert.equal(readProfile(join(repository, 'noshow-risk', '1'))?.text, undefined, 'no text field, no vocabulary');
  });

  test('a model with no embedding output reports no embedding feature', async () => {
    await replay(sluice, 'triage-small', golden('triage-small').slice(0, WINDOW));
    const names = (await report(sluice, 'triage-small')).features.map((feature) => feature.name);
    assert.ok(!names.includes('embedding'), names.join());
  });
});
