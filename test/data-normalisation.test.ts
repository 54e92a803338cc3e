/**
 * Normalisation and partial data end to end (issue 15), on copies of the default
 * `noshow-risk` model whose model.yaml declares them: values in other units, out of
 * range, in full-width or upper case, and missing fields are answered 200 as the model
 * would answer the same items written canonically, and each adjustment is counted in the
 * quality report and /metrics; the reject policy answers 400 naming every missing field;
 * the fallback policy is answered by the fallback model, which its route says.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import { defaultModelsDir } from './support/models.ts';
import { copyModel, input, referenceMedianAge, type Spec } from './support/noshow-copies.ts';
import { startTestSluice } from './support/server.ts';

/** Clamp ages, lead times in days or weeks, channel and weekday folded to lower-case NFKC. */
function normalising(spec: Spec): void {
  input(spec, 'age')['normalize'] = { range: { min: 0, max: 120, out_of_range: 'clamp' } };
  input(spec, 'lead_time_days')['normalize'] = { unit: { canonical: 'days', accept: { weeks: 7 } } };
  input(spec, 'channel')['normalize'] = { unicode: 'NFKC', whitespace: 'collapse', case: 'lower' };
  input(spec, 'weekday')['normalize'] = { whitespace: 'trim', case: 'lower' };
}

const WHOLE = { age: 29, lead_time_days: 25, prior_no_shows: 0, reminder_sent: true, weekday: 'wed', channel: 'phone' };

let from: string;
let root: string;
let sluice: Sluice;
let medianAge: number;

before(async () => {
  from = await defaultModelsDir();
  root = mkdtempSync(join(tmpdir(), 'sluice-normalisation-'));
  copyModel(from, root, 'risk-impute', (spec) => {
    normalising(spec);
    input(spec, 'age')['fill'] = { from: 'reference' };
    input(spec, 'channel')['fill'] = { value: 'web' };
    spec['quality'] = { partial_data: { policy: 'impute' } };
  });
  copyModel(from, root, 'risk-reject', normalising);
  copyModel(from, root, 'risk-fallback', (spec) => {
    spec['quality'] = { partial_data: { policy: 'fallback', fallback_model: 'risk-impute' } };
  });
  sluice = await startTestSluice({ repository: root });
  medianAge = referenceMedianAge(root, 'risk-impute');
});

after(async () => {
  await sluice?.close();
  rmSync(root, { recursive: true, force: true });
});

async function predict(model: string, instances: unknown[]) {
  return sluice.app.inject({ method: 'POST', url: `/v1/models/${model}:predict`, payload: { instances } });
}

async function report(model: string): Promise<QualityReport> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quality` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<QualityReport>();
}

describe('normalisation and partial data declared in model.yaml', () => {
  test('values in other units, out of range, in other forms, and missing are answered as their canonical items', async () => {
    const sent = [
      { ...WHOLE, lead_time_days: { value: 2, unit: 'weeks' }, weekday: ' WED ', channel: ' ＰＨＯＮＥ ' },
      { ...WHOLE, age: 150, channel: undefined },
      { ...WHOLE, age: null },
    ];
    const canonical = [
      { ...WHOLE, lead_time_days: 14 },
      { ...WHOLE, age: 120, channel: 'web' },
      { ...WHOLE, age: medianAge },
    ];
    const adjusted = await predict('risk-impute', sent);
    assert.equal(adjusted.statusCode, 200, adjusted.body);
    const written = await predict('risk-impute', canonical);
    assert.equal(written.statusCode, 200, written.body);
    assert.deepEqual(adjusted.json(), written.json());
    assert.equal(adjusted.headers['x-sluice-route'], 'direct');
  });

  test('each adjustment is counted per field in the report, and the imputed items apart', async () => {
    const { adjustments, window } = await report('risk-impute');
    const byField = Object.fromEntries((adjustments?.fields ?? []).map(({ field, ...counts }) => [field, counts]));
    assert.deepEqual(byField, {
      age: { imputed: 1, defaulted: 0, clamped: 1, converted: 0, normalized: 0 },
      lead_time_days: { imputed: 0, defaulted: 0, clamped: 0, converted: 1, normalized: 0 },
      channel: { imputed: 0, defaulted: 1, clamped: 0, converted: 0, normalized: 1 },
      weekday: { imputed: 0, defaulted: 0, clamped: 0, converted: 0, normalized: 1 },
    });
    assert.deepEqual(adjustments?.partial_data, { policy: 'impute', imputed: 2, rejected: 0, fallback: 0 });
    assert.equal(window.count, 6, 'the adjusted request and the canonical one');
  });

  test('impute: a field with no fill still rejects, naming the item and field, and is counted as rejected', async () => {
    const refused = await predict('risk-impute', [WHOLE, { ...WHOLE, prior_no_shows: undefined, age: undefined }]);
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { error: 'instances[1]: missing required field "prior_no_shows"' });
    const { adjustments } = await report('risk-impute');
    assert.equal(adjustments?.partial_data.rejected, 1);
  });

  test('reject: every missing field of every item in one 400; a unit not accepted is named with its path', async () => {
    const refused = await predict('risk-reject', [
      { ...WHOLE, channel: undefined },
      { ...WHOLE, age: undefined, lead_time_days: { value: 1, unit: 'fortnights' } },
    ]);
    assert.equal(refused.statusCode, 400);
    assert.equal(
      refused.json<{ error: string }>().error,
      'instances[0]: missing required field "channel"; instances[1].lead_time_days.unit: unit "fortnights" is not ' +
        'accepted (days, weeks); instances[1]: missing required field "age"',
    );
    const { adjustments } = await report('risk-reject');
    assert.deepEqual(adjustments?.partial_data, { policy: 'reject', imputed: 0, rejected: 2, fallback: 0 });
  });

  test('reject in the Open Inference envelope: a normalised value still breaks its rule by name', async () => {
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v2/models/risk-reject/infer',
      payload: {
        inputs: [
          { name: 'age', datatype: 'FP32', shape: [1], data: [30] },
          { name: 'lead_time_days', datatype: 'FP32', shape: [1], data: [3] },
          { name: 'prior_no_shows', datatype: 'INT64', shape: [1], data: [0] },
          { name: 'reminder_sent', datatype: 'BOOL', shape: [1], data: [true] },
          { name: 'weekday', datatype: 'BYTES', shape: [1], data: ['  SAT'] },
          { name: 'channel', datatype: 'BYTES', shape: [1], data: ['ＦＡＸ'] },
        ],
      },
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      error: 'inputs (item 0).channel: must be equal to one of the allowed values',
    });
  });

  test('fallback: items lacking fields are answered by the fallback model, whose route says so', async () => {
    const whole = await predict('risk-fallback', [WHOLE]);
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['x-sluice-model'], 'risk-fallback');
    assert.equal(whole.headers['x-sluice-route'], 'direct');
    const partial = await predict('risk-fallback', [{ ...WHOLE, age: undefined }, WHOLE]);
    assert.equal(partial.statusCode, 200, partial.body);
    assert.equal(partial.headers['x-sluice-model'], 'risk-impute');
    assert.equal(partial.headers['x-sluice-route'], 'partial-data-fallback:risk-impute');
    const asked = await predict('risk-impute', [{ ...WHOLE, age: medianAge }, WHOLE]);
    assert.deepEqual(partial.json(), asked.json(), "the fallback model's own answer, its imputation included");
    const fallback = await report('risk-fallback');
    assert.deepEqual(fallback.adjustments?.partial_data, { policy: 'fallback', imputed: 0, rejected: 0, fallback: 1 });
    assert.equal(fallback.window.count, 1, 'the fallback model answered the partial request, not this one');
    const impute = await report('risk-impute');
    assert.equal(impute.adjustments?.partial_data.imputed, 3, 'the fallback imputed the age it lacked');
  });

  test('/metrics counts adjustments per field and kind, and partial items per policy and outcome', async () => {
    const metrics = (await sluice.app.inject('/metrics')).body;
    const line = (name: string, labels: string) => new RegExp(`${name}\\{${labels}\\} (\\d+)`).exec(metrics)?.[1];
    const field = (model: string, name: string, kind: string) =>
      line('sluice_quality_field_adjustments_total', `model="${model}",version="1",field="${name}",kind="${kind}"`);
    const partial = (model: string, policy: string, outcome: string) =>
      line(
        'sluice_quality_partial_data_items_total',
        `model="${model}",version="1",policy="${policy}",outcome="${outcome}"`,
      );
    assert.equal(field('risk-impute', 'age', 'imputed'), '2');
    assert.equal(field('risk-impute', 'age', 'clamped'), '1');
    assert.equal(field('risk-impute', 'lead_time_days', 'converted'), '1');
    assert.equal(field('risk-impute', 'channel', 'normalized'), '1');
    assert.equal(field('risk-impute', 'channel', 'defaulted'), '1');
    assert.equal(partial('risk-impute', 'impute', 'imputed'), '3');
    assert.equal(partial('risk-impute', 'impute', 'rejected'), '1');
    assert.equal(partial('risk-reject', 'reject', 'rejected'), '2');
    assert.equal(partial('risk-fallback', 'fallback', 'fallback'), '1');
  });
});

/** Loads a repository as `sluice serve` does; the server is closed whether it loads or not. */
async function startsWith(repository: string): Promise<void> {
  const server = await startTestSluice({ repository, load: false });
  try {
    await server.models.loadRepository(repository);
  } finally {
    await server.close();
  }
}

describe('a bad partial-data declaration stops startup naming the file and key', () => {
  test('a fallback naming a model the repository does not have', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'sluice-normalisation-bad-'));
    try {
      copyModel(from, bad, 'risk-fallback', (spec) => {
        spec['quality'] = { partial_data: { policy: 'fallback', fallback_model: 'risk-lite' } };
      });
      await assert.rejects(startsWith(bad), (error: Error) => {
        assert.equal(
          error.message,
          `${join(bad, 'risk-fallback', '1', 'model.yaml')}: quality.partial_data.fallback_model: "risk-lite" ` +
            'is not a model of this repository (models: risk-fallback)',
        );
        return true;
      });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  test("a fallback lacking one of the model's outputs, which a KServe v2 request may ask for", async () => {
    const bad = mkdtempSync(join(tmpdir(), 'sluice-normalisation-bad-'));
    try {
      copyModel(from, bad, 'risk-fallback', (spec) => {
        spec['quality'] = { partial_data: { policy: 'fallback', fallback_model: 'triage-small' } };
      });
      cpSync(join(from, 'triage-small'), join(bad, 'triage-small'), { recursive: true });
      await assert.rejects(startsWith(bad), (error: Error) => {
        assert.equal(
          error.message,
          `${join(bad, 'risk-fallback', '1', 'model.yaml')}: quality.partial_data.fallback_model: "triage-small" ` +
            '(version 1, the one a fallback asks) has no output "probability", an output of "risk-fallback" ' +
            'a request may ask for (its outputs: probabilities)',
        );
        return true;
      });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  test('a constant fill that breaks its own field schema', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'sluice-normalisation-bad-'));
    try {
      copyModel(from, bad, 'risk-impute', (spec) => {
        input(spec, 'channel')['fill'] = { value: 'fax' };
        spec['quality'] = { partial_data: { policy: 'impute' } };
      });
      await assert.rejects(startsWith(bad), (error: Error) => {
        assert.match(
          error.message,
          /risk-impute\/1\/model\.yaml:\n {2}inputs\.5\.fill: "fax" breaks the field's schema/,
        );
        return true;
      });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
