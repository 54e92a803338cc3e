import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { openAiRequest, quietContext } from '../../pipeline/context.fixtures.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { Answer, RowsAnswer, SideRun, StreamAnswer } from '../../pipeline/target.ts';
import type { Charge } from './charge.ts';
import { ledgerStage } from './ledger-stage.ts';
import type { ChargeKey } from './usage-ledger.ts';

const PRICE = { input_per_million_tokens: 1, output_per_million_tokens: 2, currency: 'USD' };

function request(overrides: Partial<InferenceRequest> = {}): InferenceRequest {
  return openAiRequest({ messages: [{ role: 'user', content: 'hello there' }] }, overrides);
}

/** The stage run on a request answered by `answer`; resolves to what it charged, once it has. */
async function charged(
  answer: Answer,
  inferenceRequest = request(),
  expectCharge = true,
  sideRuns?: SideRun[],
): Promise<Array<[ChargeKey, Charge]>> {
  const added: Array<[ChargeKey, Charge]> = [];
  const stage = ledgerStage({
    ledger: { add: (key, charge) => added.push([key, charge]) },
    prices: new Map([['chat', PRICE]]),
    day: () => '2026-03-01',
    log: { warn: () => {} },
  });
  const caller = {
    tenant: { name: 'acme', priority: undefined, weight: 1 },
    key: { id: 'k1', scopes: new Set<never>(), models: null },
  };
  const context = quietContext(inferenceRequest, caller);
  context.answer = answer;
  if (sideRuns !== undefined) context.sideRuns = sideRuns;
  await stage.run(context);
  if (context.answer.kind === 'stream') {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await context.answer.relay(sink, { signal: new AbortController().signal, errorEvent: () => ({}) });
  }
  // Counting happens on a later turn (the tokenizer loads on first use): wait for the charge.
  const deadline = Date.now() + 5000;
  do await new Promise((resolve) => setTimeout(resolve, 10));
  while (added.length === 0 && Date.now() < deadline && expectCharge);
  return added;
}

const provenance = (route = 'direct', model = 'triage') => ({ model, version: '3', route, engineMs: 1 });

function rows(count: number, route: string, cachedItems?: number): RowsAnswer {
  const model = {
    name: 'triage',
    version: '3',
    task: 'tensor' as const,
    inputs: [],
    tensors: { outputs: [] },
    batching: { max_batch_size: 8 },
    cost: { per_item: 0.5, unit: 'gpu-ms' },
  };
  const answer = {
    kind: 'rows' as const,
    provenance: provenance(route),
    model,
    rows: Array(count).fill([]),
    queueMs: 0,
  };
  return cachedItems === undefined ? answer : { ...answer, cachedItems };
}

describe('the cost ledger stage', () => {
  it('charges a local answer to the caller’s tenant, key, the model and version that answered, today', async () => {
    const [[key, charge]] = (await charged(rows(4, 'direct'))) as [[ChargeKey, Charge]];
    assert.deepEqual(key, { tenant: 'acme', key: 'k1', model: 'triage', version: '3', day: '2026-03-01' });
    assert.equal(charge.unit, 'gpu-ms');
    assert.equal(charge.costNanos, 2e9);
  });

  it('charges a cascade’s answer to each model that ran, for the items it ran at its own cost', async () => {
    const run = (model: string, version: string, items: number, perItem: number, cachedItems = 0) => ({
      model,
      version,
      cost: { per_item: perItem, unit: 'gpu-ms' },
      items,
      cachedItems,
    });
    const answer = { ...rows(10, 'cascade:2'), runs: [run('small', '1', 10, 1, 2), run('large', '4', 3, 6)] };
    const added = await charged(answer);
    assert.deepEqual(
      added.map(([key, charge]) => [key.model, key.version, charge.requests, charge.items, charge.costNanos]),
      [
        ['small', '1', 1, 10, 8e9],
        ['large', '4', 1, 3, 18e9],
      ],
    );
  });

  it('charges a model run beside the answer (a semantic lookup’s embedding) to that model, a cache hit too', async () => {
    const embedding = { model: 'embed', version: '1', cost: { per_item: 0.25 }, items: 1, cachedItems: 0 };
    const hit = {
      kind: 'document' as const,
      status: 200,
      provenance: provenance('semantic-hit', 'chat'),
      document: {},
    };
    const added = await charged(hit, request(), true, [embedding]);
    assert.deepEqual(
      added.map(([key, charge]) => [
        key.model,
        key.version,
        charge.unit,
        charge.items,
        charge.costNanos,
        charge.cacheHits,
      ]),
      [
        ['embed', '1', 'compute-units', 1, 0.25e9, 0],
        ['chat', '3', 'USD', 0, 0, 1],
      ],
    );
  });

  it('charges a remote model run beside the answer its tokens at that model’s price', async () => {
    const embedding = { model: 'chat', version: '2', inputTokens: 1000, outputTokens: 0 };
    const hit = {
      kind: 'document' as const,
      status: 200,
      provenance: provenance('semantic-hit', 'chat'),
      document: {},
    };
    const [[key, charge]] = (await charged(hit, request(), true, [embedding])) as [[ChargeKey, Charge]];
    assert.deepEqual([key.model, key.version, charge.inputTokens, charge.costNanos], ['chat', '2', 1000, 1e6]);
  });

  it('charges a partly cached answer for the items run, and cache hits or coalesced answers nothing', async () => {
    const costs = async (answer: Answer) => (await charged(answer)).map(([, c]) => [c.items, c.costNanos, c.cacheHits]);
    assert.deepEqual(await costs(rows(10, 'cache-partial', 8)), [[10, 1e9, 0]]);
    assert.deepEqual(await costs(rows(10, 'cache-hit', 10)), [[10, 0, 1]]);
    assert.deepEqual(await costs(rows(10, 'coalesced')), [[10, 0, 1]]);
    const hit = { kind: 'document' as const, status: 200, provenance: provenance('cache-hit', 'chat'), document: {} };
    assert.deepEqual(await costs(hit), [[0, 0, 1]]);
  });

  it('charges a remote answer its reported tokens at the model’s prices, and counts them when unreported', async () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 500 };
    const reported = {
      kind: 'document' as const,
      status: 200,
      provenance: provenance('direct', 'chat'),
      document: { usage },
    };
    const [[, charge]] = (await charged(reported)) as [[ChargeKey, Charge]];
    assert.deepEqual([charge.unit, charge.inputTokens, charge.outputTokens, charge.costNanos], ['USD', 1000, 500, 2e6]);
    const answer = { choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there, friend!' } }] };
    const bare = { ...reported, document: answer };
    const [[, counted]] = (await charged(bare)) as [[ChargeKey, Charge]];
    assert.ok(counted.inputTokens > 0 && counted.outputTokens > 0, JSON.stringify(counted));
  });

  it('charges nothing for a refusal, an upstream error or an unpriced model’s money', async () => {
    const refused = { kind: 'document' as const, status: 404, provenance: provenance('direct', 'chat'), document: {} };
    assert.deepEqual(await charged(refused, request(), false), []);
    const unpriced = {
      ...refused,
      status: 200,
      provenance: provenance('direct', 'other'),
      document: { usage: { prompt_tokens: 3, completion_tokens: 4 } },
    };
    const [[, charge]] = (await charged(unpriced)) as [[ChargeKey, Charge]];
    assert.deepEqual([charge.unit, charge.inputTokens, charge.costNanos], ['unpriced', 3, 0]);
  });

  it('charges a stream once relayed, for what was sent, when its client left midway too', async () => {
    const stream: StreamAnswer = {
      kind: 'stream',
      provenance: provenance('direct', 'chat'),
      discard: () => {},
      relay: async () => ({
        completed: false,
        clientGone: true,
        summary: { promptTokens: undefined, completionTokens: 7, finishReasons: [], failure: undefined },
      }),
    };
    const [[, charge]] = (await charged(stream, request({ stream: true }))) as [[ChargeKey, Charge]];
    assert.equal(charge.outputTokens, 7);
    assert.ok(charge.inputTokens > 0, 'the prompt counted where the stream did not report it');
    assert.equal(charge.costNanos, charge.inputTokens * 1000 + 7 * 2000);
  });

  it('charges a caller without a key as anonymous', async () => {
    const added: ChargeKey[] = [];
    const stage = ledgerStage({
      ledger: { add: (key) => added.push(key) },
      prices: new Map(),
      day: () => 'd',
      log: { warn: () => {} },
    });
    const context = quietContext(request());
    context.answer = rows(1, 'direct');
    await stage.run(context);
    assert.deepEqual([added[0]?.tenant, added[0]?.key], ['default', 'anonymous']);
  });
});
