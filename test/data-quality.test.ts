/**
 * Data quality end to end on the default models and their reference profiles (built from
 * their training data): the golden set replayed flags nothing; each shifted stream is
 * flagged on the right feature with the right test, and no other input feature. The embed
 * model's output vectors likewise: its golden texts flag nothing, text from another domain
 * flags the embedding alone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { qualityExporter } from '../src/http/quality-plugin.ts';
import { profileModelVersion } from '../src/offline/profile/profile-model.ts';
import { readProfile } from '../src/quality/reference-profile.ts';
import type { Sluice } from '../src/http/server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import { defaultModelsDir } from './support/models.ts';
import { startTestSluice } from './support/server.ts';

const WINDOW = 600;

let repository: string;
before(async () => {
  repository = await defaultModelsDir();
});

function golden(model: string): Array<Record<string, unknown>> {
  return readFileSync(join(repository, model, '1', 'golden.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { label: _label, ...item } = JSON.parse(line) as Record<string, unknown>;
      return item;
    });
}

/** A server whose windows close after WINDOW items: one window per stream. */
async function monitored(): Promise<Sluice> {
  return startTestSluice({ repository, config: { quality: { window_items: WINDOW } } });
}

async function replay(sluice: Sluice, model: string, items: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (let start = 0; start < items.length; start += 50) {
    const response = await sluice.app.inject({
      method: 'POST',
      url: `/v1/models/${model}:predict`,
      payload: { instances: items.slice(start, start + 50) },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
}

async function report(sluice: Sluice, model: string): Promise<QualityReport> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quality` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<QualityReport>();
}

const drifted = (result: QualityReport, source: 'input' | 'all' = 'all') =>
  result.features
    .filter((feature) => feature.drifted)
    .filter((feature) => source === 'all' || !['confidence', 'predicted_class'].includes(feature.name))
    .map((feature) => `${feature.name}:${feature.test}`);

describe('data quality against the reference profile', () => {
  let sluice: Sluice;
  before(async () => (sluice = await monitored()));
  after(async () => sluice.close());

  test('the golden sets replayed: a closed window each, every feature tested, nothing flagged', async () => {
    for (const model of ['noshow-risk', 'triage-small']) {
      await replay(sluice, model, golden(model).slice(0, WINDOW));
      const result = await report(sluice, model);
      assert.equal(result.window.closed, true);
      assert.equal(result.window.count, WINDOW);
      assert.match(result.reference?.source ?? '', /data generator/);
      assert.ok(result.features.length >= 3, JSON.stringify(result.features));
      assert.deepEqual(drifted(result), [], JSON.stringify(result.features));
      assert.equal(result.dataset_drift?.drifted, false);
      assert.ok(result.confidence !== null && result.confidence.estimated_accuracy > 0.5);
    }
  });

  test('a moved numeric field (lead times tripled) is flagged on that field by KS, and no other input', async () => {
    const shifted = golden('noshow-risk')
      .slice(0, WINDOW)
      .map((item) => ({ ...item, lead_time_days: Math.min(365, Number(item['lead_time_days']) * 3 + 10) }));
    await replay(sluice, 'noshow-risk', shifted);
    assert.deepEqual(drifted(await report(sluice, 'noshow-risk'), 'input'), ['lead_time_days:ks']);
  });

  test('longer messages are flagged on the text length by KS', async () => {
    const longer = golden('triage-small')
      .slice(0, WINDOW)
      .map((item) => ({
        text: `${String(item['text'])} I have been waiting for a while, please get back to me soon.`,
      }));
    await replay(sluice, 'triage-small', longer);
    assert.deepEqual(drifted(await report(sluice, 'triage-small'), 'input'), ['text.length:ks']);
  });

  test('a different class mix is flagged on the predicted class by chi-squared', async () => {
    const refills = golden('triage-small')
      .filter((_item, index) => index % 3 === 0)
      .map((item) => ({
        text: `refill of my ${String(item['text']).length % 2 === 0 ? 'inhaler' : 'insulin'} please`,
      }));
    const stream = Array.from(
      { length: WINDOW },
      (_, index) => refills[index % refills.length] as Record<string, unknown>,
    );
    await replay(sluice, 'triage-small', stream);
    const result = await report(sluice, 'triage-small');
    const predicted = result.features.find((feature) => feature.name === 'predicted_class');
    assert.equal(predicted?.test, 'chisquare');
    assert.equal(predicted?.drifted, true);
    assert.equal(result.dataset_drift?.drifted, true);
  });

  test('an upstream release that adds a field and drops another: every failure answered at once, counted per field and flagged', async () => {
    const released = golden('noshow-risk')
      .slice(0, 40)
      .map(({ channel: _channel, ...item }) => ({ ...item, insurance: 'basic' }));
    const refused = await sluice.app.inject({
      method: 'POST',
      url: '/v1/models/noshow-risk:predict',
      payload: { instances: released.slice(0, 2) },
    });
    assert.equal(refused.statusCode, 400);
    assert.equal(
      refused.json<{ error: string }>().error,
      'instances[0]: missing required field "channel"; instances[0]: unknown field "insurance"; ' +
        'instances[1]: missing required field "channel"; instances[1]: unknown field "insurance"',
    );
    for (let start = 2; start < released.length; start += 2) {
      await sluice.app.inject({
        method: 'POST',
        url: '/v1/models/noshow-risk:predict',
        payload: { instances: released.slice(start, start + 2) },
      });
    }
    // The refused items count in the open window; the answered ones close it.
    await replay(sluice, 'noshow-risk', golden('noshow-risk').slice(0, WINDOW));
    const { schema } = await report(sluice, 'noshow-risk');
    const byField = Object.fromEntries(schema.fields.map((field) => [field.field, field]));
    assert.equal(byField['insurance']?.unknown, 40);
    assert.equal(byField['channel']?.missing, 40);
    assert.equal(byField['insurance']?.flagged, true);
    assert.equal(byField['lead_time_days'], undefined, 'no other field');
    assert.equal(schema.items, WINDOW + 40);
    assert.ok(Date.parse(byField['insurance']?.first_seen ?? '') <= Date.now());
  });

  test("/metrics shows each feature's flag; a model sluice does not monitor is named", async () => {
    const metrics = (await sluice.app.inject('/metrics')).body;
    // The last noshow-risk window was golden again: lead times back within their reference.
    assert.match(metrics, /sluice_quality_feature_drift\{model="noshow-risk",version="1",feature="lead_time_days"\} 0/);
    assert.match(
      metrics,
      /sluice_quality_schema_failure_rate\{model="noshow-risk",version="1",field="insurance"\} 0\.06/,
    );
    assert.match(metrics, /sluice_quality_dataset_drift_share\{model="triage-small",version="1"\}/);
    const missing = await sluice.app.inject({ url: '/admin/models/nope/quality' });
    assert.equal(missing.statusCode, 404);
  });
});

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

function elsewhere(items: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  const pool = ELSEWHERE.repeat(4);
  return items.map((item, index) => {
    const length = String(item['text']).length;
    const start = (index * 97) % ELSEWHERE.length;
    return { text: pool.slice(start, start + length) };
  });
}

describe('embedding drift against the embed model’s reference', () => {
  let sluice: Sluice;
  before(async () => (sluice = await monitored()));
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

  test('text from another domain, as long as the golden texts, is flagged on the embedding and nothing else', async () => {
    const shifted = elsewhere(golden('embed').slice(0, WINDOW));
    assert.deepEqual(
      shifted.map((item) => String(item['text']).length),
      golden('embed')
        .slice(0, WINDOW)
        .map((item) => String(item['text']).length),
    );
    await replay(sluice, 'embed', shifted);
    const result = await report(sluice, 'embed');
    assert.deepEqual(drifted(result), ['embedding:mean_distance'], JSON.stringify(result.features));
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /sluice_quality_feature_drift\{model="embed",version="1",feature="embedding"\} 1/);
    assert.match(metrics, /sluice_quality_feature_drift\{model="embed",version="1",feature="text.length"\} 0/);
  });

  test('the embedding flag turning on is logged as any feature’s is, with its figures', async () => {
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
      [[40, 'data drift: embed:1 feature "embedding" drifted']],
    );
    assert.ok((lines[0]?.statistic ?? 0) > (lines[0]?.threshold ?? Infinity));
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

  test('a model with no embedding output reports no embedding feature', async () => {
    await replay(sluice, 'triage-small', golden('triage-small').slice(0, WINDOW));
    const names = (await report(sluice, 'triage-small')).features.map((feature) => feature.name);
    assert.ok(!names.includes('embedding'), names.join());
  });
});
