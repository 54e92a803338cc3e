import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { RequestContext } from '../../../pipeline/context.ts';
import type { PipelineStage } from '../../../pipeline/pipeline.ts';
import { cacheUnderTest, documentRequest, FakeModel, serve } from '../cache-stage.fixtures.ts';
import { OutageGuard } from '../resilient-cache-store.ts';
import { MemorySemanticIndex } from './memory-semantic-index.ts';
import { unitVector } from './semantic-index.ts';
import { SemanticCacheMetrics } from './semantic-metrics.ts';
import { SemanticCacheStage } from './semantic-stage.ts';

/** Prompts' vectors: a paraphrase points almost the same way, another question elsewhere. */
const VECTORS: Readonly<Record<string, readonly number[]>> = {
  'How do I reset my password?': [1, 0, 0],
  "What's the way to change my password if I forgot it?": [1, 0.05, 0],
  'How do I reset my router?': [0, 1, 0],
};

function underTest(embedFails = false) {
  const exact = cacheUnderTest();
  const registry = new Registry();
  const warnings: Array<{ fields: object; message: string }> = [];
  const log = { warn: (fields: object, message: string) => warnings.push({ fields, message }), info: () => {} };
  const metrics = new SemanticCacheMetrics(registry);
  const embedded: string[] = [];
  const embedder = {
    embed: async (_model: string, text: string) => {
      embedded.push(text);
      const vector = VECTORS[text];
      if (embedFails || vector === undefined) throw new Error('embedding model "embed" failed: ERR_X');
      return unitVector(vector);
    },
  };
  const policy = { embeddingModel: 'embed', minSimilarity: 0.99, maxPromptChars: 160, maxEntries: 10, ttlMs: 60_000 };
  const semantic = new SemanticCacheStage({
    index: new MemorySemanticIndex(),
    embedder,
    embeddingGuard: new OutageGuard((model) => metrics.embeddingErrors.inc({ model }), log, 'embedding'),
    metrics,
    policies: new Map([['fake', policy]]),
  });
  const stage: PipelineStage = {
    name: 'cache slot',
    run: async (context: RequestContext) => {
      await exact.stage.run(context);
      if (context.answer === undefined) await semantic.run(context);
    },
  };
  return { stage, registry, warnings, embedded };
}

const ask = (content: string, extra: Record<string, unknown> = {}) =>
  documentRequest({ messages: [{ role: 'user', content }], temperature: 0, ...extra }, 'chat');
const count = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;

test('a paraphrase is answered from the semantic cache without a run; an exact repeat from the response cache first', async () => {
  const { stage, registry, embedded } = underTest();
  const model = new FakeModel();
  const target = model.target(false);
  await serve(stage, target, ask('How do I reset my password?'));
  const paraphrase = await serve(stage, target, ask("What's the way to change my password if I forgot it?"));
  assert.equal(paraphrase.answer?.provenance.route, 'semantic-hit');
  assert.deepEqual(paraphrase.answer?.kind === 'document' && paraphrase.answer.document, { answer: 'run 1' });
  const repeat = await serve(stage, target, ask('How do I reset my password?'));
  assert.equal(repeat.answer?.provenance.route, 'cache-hit');
  assert.equal(embedded.length, 2); // the exact hit never reached the embedding model
  const other = await serve(stage, target, ask('How do I reset my router?'));
  assert.equal(other.answer?.provenance.route, 'direct');
  assert.equal(model.runs.length, 2);
  assert.equal(await count(registry, 'sluice_cache_semantic_lookups_total'), 3);
  assert.equal(await count(registry, 'sluice_cache_semantic_hits_total'), 1);
  assert.equal(await count(registry, 'sluice_cache_semantic_stores_total'), 2);
});

test("a tenant's prompt never answers another tenant's, nor a request with other parameters", async () => {
  const { stage } = underTest();
  const target = new FakeModel().target(false);
  await serve(stage, target, ask('How do I reset my password?'), { tenant: 'acme' });
  const paraphrase = ask("What's the way to change my password if I forgot it?");
  assert.equal((await serve(stage, target, paraphrase, { tenant: 'globex' })).answer?.provenance.route, 'direct');
  const longer = ask("What's the way to change my password if I forgot it?", { max_tokens: 99 });
  assert.equal((await serve(stage, target, longer, { tenant: 'acme' })).answer?.provenance.route, 'direct');
  assert.equal((await serve(stage, target, paraphrase, { tenant: 'acme' })).answer?.provenance.route, 'semantic-hit');
});

test('a failing embedding model is a miss: the model answers, the failure is counted and logged without the prompt', async () => {
  const { stage, registry, warnings } = underTest(true);
  const model = new FakeModel();
  for (let round = 0; round < 2; round++) {
    const answered = await serve(stage, model.target(false), ask('How do I reset my password?', { n: round }));
    assert.equal(answered.answer?.provenance.route, 'direct');
  }
  assert.equal(await count(registry, 'sluice_cache_semantic_embedding_errors_total'), 2);
  assert.equal(warnings.length, 1); // once per outage
  assert.doesNotMatch(
    JSON.stringify(warnings, (_key, value: unknown) => (value instanceof Error ? value.message : value)),
    /password/,
  );
});

test('no-cache stores without looking up; no-store does neither; a stream or a sampled chat is never embedded', async () => {
  const { stage, embedded } = underTest();
  const target = new FakeModel().target(false);
  const directives = (noCache: boolean, noStore: boolean) => ({
    directives: { noCache, noStore, allowSampled: false },
  });
  await serve(stage, target, ask('How do I reset my password?'), directives(false, true));
  const paraphrase = ask("What's the way to change my password if I forgot it?");
  assert.equal((await serve(stage, target, paraphrase, directives(true, false))).answer?.provenance.route, 'direct');
  assert.equal(
    (await serve(stage, target, ask('How do I reset my password?'))).answer?.provenance.route,
    'semantic-hit',
  );
  assert.equal(embedded.length, 2);
  await serve(stage, target, { ...ask('How do I reset my router?'), stream: true });
  await serve(stage, target, ask('How do I reset my router?', { temperature: 0.7 }));
  assert.equal(embedded.length, 2);
});
