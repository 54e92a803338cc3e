import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import { cacheUnderTest, documentRequest, FakeModel, floats, itemsRequest, serve } from './cache-stage.fixtures.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);
const counter = async (registry: import('prom-client').Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;

test('a batch of 100 items of which 90 are cached runs the model on the 10 others and answers in item order', async () => {
  const { stage, registry } = cacheUnderTest();
  const model = new FakeModel();
  const target = model.target(true);
  // Every item but each tenth, cached by an earlier request.
  await serve(stage, target, itemsRequest(range(0, 100).filter((x) => x % 10 !== 3)));
  const context = await serve(stage, target, itemsRequest(range(0, 100)));
  assert.deepEqual(
    model.runs[1]?.map((item) => item['x']),
    range(0, 100).filter((x) => x % 10 === 3),
  );
  assert.deepEqual(floats(context.answer), range(0, 100));
  assert.equal(context.answer?.provenance.route, 'cache-partial');
  assert.equal(await counter(registry, 'sluice_cache_hits_total'), 90);
  assert.equal(await counter(registry, 'sluice_cache_stores_total'), 100);
});

test('a request whose items are all cached is answered without a run, with the route cache-hit', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  await serve(stage, model.target(true), itemsRequest([5, 6, 7]));
  const context = await serve(stage, model.target(true), itemsRequest([7, 5]));
  assert.equal(model.runs.length, 1);
  assert.deepEqual(floats(context.answer), [7, 5]);
  assert.equal(context.answer?.provenance.route, 'cache-hit');
  assert.equal(context.ticket, undefined);
});

test('Cache-Control no-store neither reads nor writes the cache; no-cache runs the model and stores its answer', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  const target = model.target(false);
  const request = documentRequest({ input: 'a' });
  await serve(stage, target, request, { directives: { noCache: false, noStore: true, allowSampled: false } });
  await serve(stage, target, request, { directives: { noCache: false, noStore: true, allowSampled: false } });
  assert.equal(model.runs.length, 2);
  await serve(stage, target, request, { directives: { noCache: true, noStore: false, allowSampled: false } });
  assert.equal(model.runs.length, 3);
  const hit = await serve(stage, target, request);
  assert.equal(model.runs.length, 3);
  assert.equal(hit.answer?.provenance.route, 'cache-hit');
  assert.deepEqual(hit.answer?.kind === 'document' && hit.answer.document, { answer: 'run 3' });
});

test('a sampled chat is cached only at temperature 0 or when the caller allows it, and a stream never', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  const target = model.target(false);
  const twice = async (request: ReturnType<typeof documentRequest>, allowSampled = false) => {
    const directives = { noCache: false, noStore: false, allowSampled };
    await serve(stage, target, request, { directives });
    return (await serve(stage, target, request, { directives })).answer?.provenance.route;
  };
  const messages = [{ role: 'user', content: 'hi' }];
  assert.equal(await twice(documentRequest({ messages }, 'chat')), 'direct');
  assert.equal(await twice(documentRequest({ messages, temperature: 0.7 }, 'chat')), 'direct');
  assert.equal(await twice(documentRequest({ messages, temperature: 0 }, 'chat')), 'cache-hit');
  assert.equal(await twice(documentRequest({ messages, temperature: 0.7 }, 'chat'), true), 'cache-hit');
  assert.equal(await twice({ ...documentRequest({ messages, temperature: 0 }, 'chat'), stream: true }), 'direct');
});

test("a tenant never gets another tenant's entry unless the model is declared shared", async () => {
  const model = new FakeModel();
  const target = model.target(false);
  const request = documentRequest({ input: 'same' });
  const apart = cacheUnderTest();
  await serve(apart.stage, target, request, { tenant: 'acme' });
  assert.equal((await serve(apart.stage, target, request, { tenant: 'globex' })).answer?.provenance.route, 'direct');
  assert.equal((await serve(apart.stage, target, request, { tenant: 'acme' })).answer?.provenance.route, 'cache-hit');
  const shared = cacheUnderTest({ ttlMs: 60_000, shared: true, coalesce: true });
  await serve(shared.stage, target, request, { tenant: 'acme' });
  assert.equal(
    (await serve(shared.stage, target, request, { tenant: 'globex' })).answer?.provenance.route,
    'cache-hit',
  );
});

test('ten identical requests in flight at once run the model once and all get its answer', async () => {
  const { stage, registry } = cacheUnderTest();
  const model = new FakeModel();
  model.held = true;
  const target = model.target(false);
  const pending = range(0, 10).map(() => serve(stage, target, documentRequest({ input: 'same' })));
  await new Promise((resolve) => setTimeout(resolve, 20));
  model.release();
  const answers = await Promise.all(pending);
  assert.equal(model.runs.length, 1);
  for (const context of answers)
    assert.deepEqual(context.answer?.kind === 'document' && context.answer.document, { answer: 'run 1' });
  assert.equal(answers.filter((context) => context.answer?.provenance.route === 'coalesced').length, 9);
  assert.equal(await counter(registry, 'sluice_cache_coalesced_total'), 9);
});

test('ten identical item requests in flight at once run the model once', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  model.held = true;
  const pending = range(0, 10).map(() => serve(stage, model.target(true), itemsRequest([1, 2, 3])));
  await new Promise((resolve) => setTimeout(resolve, 20));
  model.release();
  for (const context of await Promise.all(pending)) assert.deepEqual(floats(context.answer), [1, 2, 3]);
  assert.equal(model.runs.length, 1);
});

test('a caller whose deadline passes gets its own 504 and the shared run goes on for the others', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  model.held = true;
  const target = model.target(false);
  const request = documentRequest({ input: 'slow' });
  const first = serve(stage, target, request, { deadlineMs: performance.now() + 30 });
  const second = serve(stage, target, request);
  await assert.rejects(first, (error) => error instanceof SluiceError && error.code === 'ERR_DEADLINE_EXCEEDED');
  assert.equal(model.signals[0]?.aborted, false);
  model.release();
  const answered = await second;
  assert.deepEqual(answered.answer?.kind === 'document' && answered.answer.document, { answer: 'run 1' });
  assert.equal(model.runs.length, 1);
});

test('a caller who leaves does not cancel the shared run; it is cancelled once every caller has left', async () => {
  const { stage } = cacheUnderTest();
  const model = new FakeModel();
  model.held = true;
  const target = model.target(false);
  const request = documentRequest({ input: 'abandoned' });
  const [a, b] = [new AbortController(), new AbortController()];
  const first = serve(stage, target, request, { signal: a.signal });
  const second = serve(stage, target, request, { signal: b.signal });
  await new Promise((resolve) => setTimeout(resolve, 10));
  a.abort();
  await assert.rejects(first);
  assert.equal(model.signals[0]?.aborted, false);
  b.abort();
  await assert.rejects(second);
  assert.equal(model.signals[0]?.aborted, true);
  model.release();
});
