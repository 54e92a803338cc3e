/**
 * A reference profile captured from live traffic through the admin API, end to end on a copy
 * of noshow-risk: the capture is refused while no window has closed, made from the last closed
 * window, written beside the model (a restarted server reads it), audited, and the next window
 * is tested against it; bad bodies and a remote model are refused, named.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import type { ReferenceSummary } from '../src/quality/reference-summary.ts';
import { fakeBackendConfig, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { defaultModelsDir } from './support/models.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

const WINDOW = 100;

let repository: string;
let upstream: FakeUpstream;
let sluice: Sluice;
let golden: Array<Record<string, unknown>>;

const start = () =>
  startTestSluice({
    repository,
    config: { quality: { window_items: WINDOW }, backends: [fakeBackendConfig([upstream])] },
  });

before(async () => {
  repository = await repositoryWith('noshow-risk', () => {});
  upstream = await startFakeUpstream();
  sluice = await start();
  golden = readFileSync(join(await defaultModelsDir(), 'noshow-risk', '1', 'golden.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { label: _label, ...item } = JSON.parse(line) as Record<string, unknown>;
      return item;
    });
});

after(async () => {
  await sluice.close();
  await upstream.close();
});

async function replay(items: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (let from = 0; from < items.length; from += 50) {
    const instances = items.slice(from, from + 50);
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v1/models/noshow-risk:predict',
      payload: { instances },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
}

const capture = (payload?: object, model = 'noshow-risk') =>
  sluice.app.inject({ method: 'POST', url: `/admin/models/${model}/reference`, ...(payload ? { payload } : {}) });

/** `GET /admin/models/noshow-risk/reference`: the reference windows opened from now on are tested against. */
async function inForce(): Promise<ReferenceSummary | null> {
  const response = await sluice.app.inject({ url: '/admin/models/noshow-risk/reference' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ reference: ReferenceSummary | null }>().reference;
}

async function report(): Promise<QualityReport> {
  const response = await sluice.app.inject({ url: '/admin/models/noshow-risk/quality' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<QualityReport>();
}

describe('a reference captured from live traffic', () => {
  test('is refused, named, before any window has closed, for a bad body and for a remote model', async () => {
    const empty = await capture();
    assert.equal(empty.statusCode, 409, empty.body);
    assert.equal(empty.headers['x-sluice-error-code'], 'ERR_QUALITY_WINDOW_EMPTY');
    assert.match(empty.body, /no window has closed yet/);
    const cases: Array<[object, number, string]> = [
      [{ window: 'yesterday' }, 400, 'window'],
      [{ version: 1 }, 400, 'version'],
      [{ colour: 'red' }, 400, 'colour'],
      [{ version: '' }, 400, 'version'],
      [{ version: '9' }, 404, 'version'],
    ];
    for (const [payload, status, param] of cases) {
      const response = await capture(payload);
      assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`);
      if (param !== '') assert.equal(response.json<{ error: { param: string } }>().error.param, param);
    }
    // A remote model's reference is a closed window of its traffic, pinned (test/traffic-quality.test.ts).
    const remote = await capture({ window: 'current' }, 'chat');
    assert.equal(remote.statusCode, 400, remote.body);
    assert.equal(remote.headers['x-sluice-error-code'], 'ERR_ADMIN_INVALID');
    assert.match(remote.body, /a remote model's reference is a closed window/);
    const unclosed = await capture({}, 'chat');
    assert.equal(unclosed.statusCode, 409, unclosed.body);
    assert.equal(unclosed.headers['x-sluice-error-code'], 'ERR_QUALITY_WINDOW_EMPTY');
  });

  test('is made of the last closed window, written beside the model, audited, and tested from the window after the open one', async () => {
    await replay(golden.slice(0, WINDOW));
    assert.match((await report()).reference?.source ?? '', /data generator/, 'the built profile first');
    const built = await inForce();
    assert.deepEqual([built?.origin, built?.made_at, built?.made_by], ['profile', null, null]);
    const made = await capture({ version: '1', window: 'last_closed' });
    assert.equal(made.statusCode, 201, made.body);
    const body = made.json<{ source: string; rows: number; window: string }>();
    assert.equal(body.rows, WINDOW);
    assert.equal(body.window, 'last_closed');
    assert.match(
      body.source,
      /^live traffic of window .* \(last_closed\), 100 of its 100 items, captured through the admin API by anonymous at /,
    );
    const file = JSON.parse(readFileSync(join(repository, 'noshow-risk', '1', 'reference-profile.json'), 'utf8'));
    assert.equal(file.source, body.source);
    assert.match((await report()).reference?.source ?? '', /data generator/, 'the closed window keeps its reference');
    await replay(golden.slice(WINDOW, 2 * WINDOW));
    assert.match((await report()).reference?.source ?? '', /data generator/, 'so does the one open at the capture');
    await replay(golden.slice(2 * WINDOW, 3 * WINDOW));
    const next = await report();
    assert.equal(next.window.closed, true);
    assert.deepEqual(next.reference, {
      source: body.source,
      rows: WINDOW,
      origin: 'captured',
      made_at: file.captured.at,
      made_by: 'anonymous',
    });
    assert.ok(next.features.length >= 3, JSON.stringify(next.features));
    assert.ok(next.features.every((feature) => feature.reference_count <= WINDOW));
    assert.deepEqual(await inForce(), next.reference, 'GET names the reference in force');
    const audit = await sluice.app.inject({ url: '/admin/audit?action=quality.reference.capture' });
    const [record] = audit.json<{ records: Array<{ details: Record<string, unknown> }> }>().records;
    assert.deepEqual(record?.details, { model: 'noshow-risk', version: '1', window: 'last_closed', rows: WINDOW });
  });

  test('outlasts a restart: a new server tests against the captured profile', async () => {
    const { source } = (await report()).reference ?? { source: '' };
    await sluice.close();
    sluice = await start();
    await replay(golden.slice(0, WINDOW));
    assert.equal((await report()).reference?.source, source);
  });
});
