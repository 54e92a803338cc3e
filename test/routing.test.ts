/**
 * Routes to right-sized models, end to end on the default models over loopback: a cascade
 * (triage-small, then triage-large for the items it is unsure of) on KServe v1 and v2, its
 * thresholds at their extremes, rules by length, tenant, deadline and header, and routes
 * that cannot be served refused at start with their key named.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { servedRoutes, type RouteConfig } from '../src/cost/routing/route-config.ts';
import { checkRoutes, modelFinder } from '../src/cost/routing/route-checks.ts';
import type { Sluice } from '../src/http/server.ts';
import { testKey } from './support/keys.ts';
import { defaultModelsDir } from './support/models.ts';
import { startTestSluice } from './support/server.ts';

const GOLD = testKey();
const BASIC = testKey();
const ADMIN = testKey({ scopes: ['admin'] });
const THRESHOLD = 0.9;
/** The label a cascade's first model must have confirmed by the next, whatever its confidence. */
const CHECKED_LABEL = 'urgent_symptoms';
const LONG = 'I have been waiting for two weeks to hear back about the results of my blood test';

const ROUTES: RouteConfig[] = [
  { name: 'triage', cascade: [{ model: 'triage-small', min_confidence: THRESHOLD }, { model: 'triage-large' }] },
  { name: 'never-on', cascade: [{ model: 'triage-small', min_confidence: 0 }, { model: 'triage-large' }] },
  { name: 'always-on', cascade: [{ model: 'triage-small', min_confidence: 1.01 }, { model: 'triage-large' }] },
  {
    name: 'checked',
    cascade: [
      { model: 'triage-small', min_confidence: 0, escalate_labels: [CHECKED_LABEL] },
      { model: 'triage-large' },
    ],
  },
  {
    name: 'by-request',
    rules: [
      { when: { max_input_chars: 30 }, model: 'triage-small' },
      { when: { tenant: ['gold'] }, model: 'triage-large' },
      { when: { max_timeout_ms: 50 }, model: 'triage-small' },
      { when: { header: { 'x-tier': ['premium'] } }, model: 'triage-large' },
    ],
    default: 'noshow-risk',
  },
];

interface Prediction {
  readonly label: string;
  readonly confidence: number;
}

let sluice: Sluice;
let base: string;
/** Golden texts triage-small is sure of (≥ THRESHOLD) and unsure of, as it answers them itself. */
let sure: string[];
let unsure: string[];

async function post(path: string, body: unknown, headers: Record<string, string> = GOLD.bearer) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function predict(model: string, texts: readonly string[], headers?: Record<string, string>) {
  const answer = await post(`/v1/models/${model}:predict`, { instances: texts }, headers);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return {
    predictions: answer.body['predictions'] as Prediction[],
    itemRoutes: answer.body['item_routes'] as string[] | undefined,
    route: answer.headers.get('x-sluice-route'),
    model: answer.headers.get('x-sluice-model'),
  };
}

async function itemsRun(model: string): Promise<number> {
  const response = await fetch(`${base}/v2/models/${model}/stats`, { headers: GOLD.bearer });
  const { model_stats: stats } = (await response.json()) as { model_stats: Array<{ inference_count: number }> };
  return stats[0]?.inference_count ?? 0;
}

before(async () => {
  sluice = await startTestSluice({
    config: {
      auth: { enabled: true },
      tenants: [
        { name: 'gold', keys: [GOLD.entry] },
        { name: 'basic', keys: [BASIC.entry] },
        { name: 'ops', keys: [ADMIN.entry] },
      ],
      routes: ROUTES,
    },
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}`;
  const golden = readFileSync(join(await defaultModelsDir(), 'triage-small', '1', 'golden.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 300)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  const { predictions } = await predict('triage-small', golden);
  sure = golden.filter((_text, index) => (predictions[index]?.confidence ?? 0) >= THRESHOLD);
  unsure = golden.filter((_text, index) => (predictions[index]?.confidence ?? 1) < THRESHOLD);
  assert.ok(sure.length >= 7 && unsure.length >= 3, `${sure.length} sure and ${unsure.length} unsure golden items`);
});
after(() => sluice.close());

describe('a cascade', () => {
  test('an item the small model is sure of is answered by it: cascade:1', async () => {
    const direct = await predict('triage-small', [sure[0] as string]);
    const routed = await predict('triage', [sure[0] as string]);
    assert.equal(routed.route, 'cascade:1');
    assert.equal(routed.model, 'triage-small');
    assert.deepEqual(routed.predictions, direct.predictions);
    assert.deepEqual(routed.itemRoutes, ['cascade:1']);
  });

  test('an item it is unsure of is answered by the large model: cascade:2', async () => {
    const direct = await predict('triage-large', [unsure[0] as string]);
    const routed = await predict('triage', [unsure[0] as string]);
    assert.equal(routed.route, 'cascade:2');
    assert.equal(routed.model, 'triage-large');
    assert.deepEqual(routed.predictions, direct.predictions);
  });

  test('a batch of 10 with 3 unsure items sends only those 3 on, and the answers come back in item order', async () => {
    const batch = [...sure.slice(0, 7)];
    batch.splice(1, 0, unsure[0] as string);
    batch.splice(5, 0, unsure[1] as string);
    batch.push(unsure[2] as string);
    const sentOn = new Set([1, 5, 9]);
    const small = await predict('triage-small', batch);
    const large = await predict('triage-large', batch);
    const before = await itemsRun('triage-large');
    const routed = await predict('triage', batch);
    assert.equal(await itemsRun('triage-large'), before + 3, 'the large model ran the 3 unsure items only');
    assert.equal(routed.route, 'cascade:2', 'the header names the last model any item reached');
    assert.deepEqual(
      routed.itemRoutes,
      batch.map((_text, index) => (sentOn.has(index) ? 'cascade:2' : 'cascade:1')),
    );
    assert.deepEqual(
      routed.predictions,
      batch.map((_text, index) => (sentOn.has(index) ? large : small).predictions[index]),
    );
  });

  test('the ledger charges each model of a cascade for the items it ran, at its own cost', async () => {
    const batch = [...sure.slice(0, 7), ...unsure.slice(0, 3)];
    await predict('triage', batch, BASIC.bearer);
    const cost = (model: string) => sluice.models.resolve(model).spec.cost.per_item;
    const expected = [
      { model: 'triage-large', requests: 1, items: 3, cost: 3 * cost('triage-large') },
      { model: 'triage-small', requests: 1, items: 10, cost: 10 * cost('triage-small') },
    ];
    const response = await sluice.app.inject({
      url: '/admin/usage?tenant=basic&group_by=model',
      headers: ADMIN.bearer,
    });
    assert.equal(response.statusCode, 200, response.body);
    const rows = (response.json() as { usage: Array<Record<string, unknown>> }).usage;
    assert.deepEqual(
      rows.map(({ model, requests, items, cost: spent }) => ({ model, requests, items, cost: spent })),
      expected,
    );
  });

  test("over KServe v2 the same batch says each item's route in the response parameters", async () => {
    const batch = [sure[0] as string, unsure[0] as string, sure[1] as string];
    const inputs = [{ name: 'text', datatype: 'BYTES', shape: [3], data: batch }];
    const answer = await post('/v2/models/triage/infer', { id: 'r1', inputs });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-sluice-route'), 'cascade:2');
    assert.equal(answer.body['model_name'], 'triage-large');
    assert.deepEqual(answer.body['parameters'], { item_routes: 'cascade:1,cascade:2,cascade:1' });
    const outputs = answer.body['outputs'] as Array<{ shape: number[] }>;
    assert.deepEqual(outputs[0]?.shape, [3, 8]);
  });

  test('an item the small model labels with an escalate_labels label goes on however sure, the others stay', async () => {
    const { predictions } = await predict('triage-small', sure);
    const flagged = sure.filter((_text, index) => predictions[index]?.label === CHECKED_LABEL).slice(0, 2);
    const others = sure.filter((_text, index) => predictions[index]?.label !== CHECKED_LABEL).slice(0, 3);
    assert.ok(flagged.length === 2, `two golden items triage-small labels ${CHECKED_LABEL}`);
    const batch = [...others, ...flagged];
    const routed = await predict('checked', batch);
    assert.deepEqual(routed.itemRoutes, ['cascade:1', 'cascade:1', 'cascade:1', 'cascade:2', 'cascade:2']);
    const large = await predict('triage-large', flagged);
    assert.deepEqual(routed.predictions.slice(3), large.predictions);
  });

  test('a threshold of 0 never sends an item on, and 1.01 always does', async () => {
    const batch = [sure[0] as string, unsure[0] as string, unsure[1] as string];
    const never = await predict('never-on', batch);
    assert.equal(never.route, 'cascade:1');
    assert.deepEqual(never.itemRoutes, ['cascade:1', 'cascade:1', 'cascade:1']);
    assert.deepEqual(never.predictions, (await predict('triage-small', batch)).predictions);
    const always = await predict('always-on', batch);
    assert.equal(always.route, 'cascade:2');
    assert.deepEqual(always.itemRoutes, ['cascade:2', 'cascade:2', 'cascade:2']);
    assert.deepEqual(always.predictions, (await predict('triage-large', batch)).predictions);
  });

  test("its metadata is its first model's under the route's name, with the cascade in its parameters", async () => {
    const response = await fetch(`${base}/v2/models/triage`, { headers: GOLD.bearer });
    const metadata = (await response.json()) as { name: string; versions: string[]; parameters: { route: unknown } };
    assert.equal(metadata.name, 'triage');
    assert.deepEqual(metadata.versions, ['route']);
    assert.deepEqual(metadata.parameters.route, {
      kind: 'cascade',
      cascade: [{ model: 'triage-small', min_confidence: THRESHOLD }, { model: 'triage-large' }],
    });
  });

  test('a request the first model refuses is refused with its item named, as the model names it', async () => {
    const answer = await post('/v1/models/triage:predict', { instances: ['fine', 42] });
    assert.equal(answer.status, 400);
    assert.match(String(answer.body['error']), /instances\[1\]/);
  });
});

describe('rules', () => {
  const rulesOf = async (texts: string[], headers: Record<string, string>) => {
    const routed = await predict('by-request', texts, headers);
    return `${routed.route} ${routed.model}`;
  };

  test('a short input goes to the small model by the first rule, whoever asks', async () => {
    assert.equal(await rulesOf(['refill please'], GOLD.bearer), 'rule:1 triage-small');
  });

  test('a long input from a gold tenant goes to the large model by the second rule', async () => {
    assert.equal(await rulesOf([LONG], GOLD.bearer), 'rule:2 triage-large');
  });

  test('a batch is as long as its longest item', async () => {
    assert.equal(await rulesOf(['refill please', LONG], GOLD.bearer), 'rule:2 triage-large');
  });

  test('a long input from another tenant with a short deadline goes to the small model by the third rule', async () => {
    assert.equal(await rulesOf([LONG], { ...BASIC.bearer, 'x-request-timeout-ms': '40' }), 'rule:3 triage-small');
  });

  test('a header chooses by the fourth rule', async () => {
    assert.equal(await rulesOf([LONG], { ...BASIC.bearer, 'x-tier': 'premium' }), 'rule:4 triage-large');
  });

  test('no rule matching means the default model, and its own refusal if it cannot read the input', async () => {
    const answer = await post('/v1/models/by-request:predict', { instances: [LONG] }, BASIC.bearer);
    assert.equal(answer.status, 400, 'noshow-risk reads tabular fields, not text');
    assert.match(String(answer.body['error']), /instances\[0\]/);
  });
});

describe('routes that cannot be served are refused at start, naming the key', () => {
  const check = (routes: RouteConfig[]) => {
    const specs = servedRoutes(routes, { repository: 'x', build_defaults: false }, 'models');
    return () => checkRoutes(specs, modelFinder(sluice.targets));
  };
  const cascadeTo = (model: string): RouteConfig => ({
    name: 'r',
    cascade: [{ model: 'triage-small', min_confidence: 0.5 }, { model }],
  });

  test('the configured routes pass', () => assert.doesNotThrow(check(ROUTES)));

  test('a model nobody serves', () => {
    assert.throws(
      check([cascadeTo('triage-huge')]),
      /^Error: routes\.0\.cascade\.1\.model: no model "triage-huge" is served$/,
    );
  });

  test('a cascade over a model that gives no class probabilities', () => {
    assert.throws(check([cascadeTo('embed')]), /routes\.0\.cascade\.1\.model: "embed" is not a local classifier/);
  });

  test('a cascade over classifiers of other labels', () => {
    assert.throws(
      check([cascadeTo('noshow-risk')]),
      /routes\.0\.cascade\.1\.model: "noshow-risk" answers with other a task/,
    );
  });

  test('a route named as a model, or naming another route', () => {
    assert.throws(
      check([{ name: 'embed', rules: [{ when: { tenant: ['a'] }, model: 'embed' }], default: 'embed' }]),
      /routes\.0\.name: "embed" is also a model's name/,
    );
    assert.throws(
      check([
        ROUTES[0] as RouteConfig,
        { name: 'q', rules: [{ when: { tenant: ['a'] }, model: 'triage' }], default: 'embed' },
      ]),
      /routes\.1\.rules\.0\.model: "triage" is a route/,
    );
  });
});
