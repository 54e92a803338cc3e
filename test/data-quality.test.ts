/**
 * Data quality end to end on the default models and their reference profiles (built from
 * their training data): the golden set replayed flags nothing; each shifted stream is
 * flagged on the right feature with the right test, and no other input feature (words of
 * another language: the text's out-of-vocabulary rate). The embed model's vectors are in
 * test/embedding-quality.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import type { OovDrift } from '../src/quality/oov-drift.ts';
import { defaultModelsDir } from './support/models.ts';
import { WINDOW, drifted, goldenItems, monitored, replay, report, type Item } from './support/quality-replay.ts';

let repository: string;
before(async () => {
  repository = await defaultModelsDir();
});

const golden = (model: string): Item[] => goldenItems(repository, model);

describe('data quality against the reference profile', () => {
  let sluice: Sluice;
  before(async () => (sluice = await monitored(repository)));
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
      assert.deepEqual(result.untested, []);
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

  test('words of another language, in messages as long as the golden ones, are flagged on the OOV rate of `text` alone', async () => {
    const original = golden('triage-small').slice(0, WINDOW);
    const mixed = original.map((item) => ({ text: withSpanishWords(String(item['text'])) }));
    assert.deepEqual(
      mixed.map((item) => item.text.length),
      original.map((item) => String(item['text']).length),
    );
    await replay(sluice, 'triage-small', mixed);
    const result = await report(sluice, 'triage-small');
    assert.deepEqual(drifted(result, 'input'), ['text.oov_rate:oov_band'], JSON.stringify(result.features));
    const oov = result.features.find((feature) => feature.name === 'text.oov_rate') as OovDrift;
    assert.ok(oov.reference_rate > 0.05 && oov.reference_rate < 0.15, `reference rate ${oov.reference_rate}`);
    assert.ok(oov.rate > 2 * oov.reference_rate, `window rate ${oov.rate}`);
    assert.equal(oov.live_count, WINDOW);
    const metrics = (await sluice.app.inject('/metrics')).body;
    const gauge = `sluice_quality_text_oov_rate{model="triage-small",version="1",feature="text.oov_rate"} ${oov.rate}`;
    assert.ok(metrics.includes(gauge), gauge);
    assert.match(metrics, /sluice_quality_feature_drift\{model="triage-small",version="1",feature="text.oov_rate"\} 1/);
  });

  test('a different class mix is flagged on the predicted class by chi-squared', async () => {
    const refills = golden('triage-small')
      .filter((_item, index) => index % 3 === 0)
      .map((item) => ({
        text: `refill of my ${String(item['text']).length % 2 === 0 ? 'inhaler' : 'insulin'} please`,
      }));
    const stream = Array.from({ length: WINDOW }, (_, index) => refills[index % refills.length] as Item);
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

/** Words of the same length in Spanish, by length: a clinic whose patients write some of their words in Spanish. */
const SPANISH: Readonly<Record<number, string>> = {
  2: 'mi',
  3: 'muy',
  4: 'cita',
  5: 'dolor',
  6: 'receta',
  7: 'gracias',
  8: 'necesito',
  9: 'medicinas',
  10: 'enfermedad',
};

/** Every fourth word of the text, from the fourth, swapped for a Spanish word of its length: the text keeps its length. */
function withSpanishWords(text: string): string {
  return text
    .split(' ')
    .map((word, index) => (index % 4 === 3 ? (SPANISH[word.length] ?? word) : word))
    .join(' ');
}
