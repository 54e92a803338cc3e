import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { SluiceError } from '../../core/errors.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { openAiRequest, quietContext } from '../../pipeline/context.fixtures.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { StreamAnswer, Target } from '../../pipeline/target.ts';
import { LimitSettingsSchema, LimitsSchema } from './limits-config.ts';
import { limitMetrics } from './limits-metrics.ts';
import { limitsStages } from './limits-stage.ts';
import { MemoryLimitStore } from './memory-limit-store.ts';
import { ResilientLimitStore } from './resilient-limit-store.ts';
import { windowOf } from './windows.ts';

const NOW = Date.parse('2026-12-07T18:00:30Z');
const MINUTE = windowOf('minute', NOW).startMs;
const quiet = { info: () => {}, warn: () => {} };

function setup(limits: Record<string, unknown>) {
  const shared = new MemoryLimitStore(() => NOW);
  const store = new ResilientLimitStore(shared, { onFailure: () => {}, onLocal: () => {}, log: quiet });
  const scope = { kind: 'tenant' as const, id: 'acme', limits: LimitsSchema.parse(limits) };
  const stages = limitsStages({
    scopesOf: () => [scope],
    store,
    settings: LimitSettingsSchema.parse({}),
    prices: new Map(),
    metrics: limitMetrics(new Registry()),
    log: quiet,
    now: () => NOW,
  });
  /** A counter's value now (a reservation of nothing reports it). */
  const counter = async (name: string, windowStartMs = MINUTE) => {
    const check = { key: `tenant:acme:${name}:${windowStartMs}`, amount: 0, limit: 1e21, expiresAtMs: NOW + 60_000 };
    const verdict = await shared.reserve([check]);
    return verdict.admitted ? verdict.used[0] : undefined;
  };
  return { stages, counter };
}

/** A streamed chat to a remote model (no description: priced by tokens) with max_tokens 100. */
function chatContext(overrides: Partial<InferenceRequest> = {}): RequestContext {
  const document = { messages: [{ role: 'user', content: 'hello there' }], max_tokens: 100 };
  const request = openAiRequest(document, { stream: true, ...overrides });
  const caller = { tenant: { name: 'acme', priority: undefined, weight: 1 }, key: null };
  const context = quietContext(request, caller);
  context.target = { name: 'chat', description: undefined } as unknown as Target;
  return context;
}

const cutOff = (sent: number): StreamAnswer => ({
  kind: 'stream',
  provenance: { model: 'chat', version: '1', route: 'direct', engineMs: 1 },
  discard: () => {},
  relay: async () => ({
    completed: false,
    clientGone: true,
    summary: { promptTokens: 5, completionTokens: sent, finishReasons: [], failure: undefined },
  }),
});

async function until(read: () => Promise<number | undefined>, expected: number): Promise<number | undefined> {
  const deadline = Date.now() + 5000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await read();
  }
  return value;
}

/** A local classifier's target as a route sees it: its name and declared cost. */
function localModel(name: string, perItem: number): Target {
  return { name, description: { cost: { per_item: perItem, unit: 'gpu-ms' } } } as unknown as Target;
}

/** A request of `items` items to `route`, prepared to run `mayRun`. */
function routedContext(items: number, mayRun: readonly Target[]): RequestContext {
  const context = chatContext({ operation: 'predict', family: 'kserve-v1', stream: false });
  context.target = { name: 'route', description: mayRun[0]?.description } as unknown as Target;
  context.prepared = { run: () => Promise.reject(new Error('not run')), items: Array(items).fill({}), mayRun };
  return context;
}

describe('the limits stages', () => {
  it('reserve every stage of a cascade for every item, and settle to what each model ran', async () => {
    const { stages, counter } = setup({ spend_per_day: 1_000, spend_unit: 'gpu-ms' });
    const spent = () => counter('spend_per_day:gpu-ms', windowOf('day', NOW).startMs);
    const context = routedContext(10, [localModel('small', 1), localModel('large', 6)]);
    await stages.reserve.run(context);
    assert.equal(await spent(), 70e9, 'each of 10 items may reach both models: 10 × (1 + 6)');
    const cost = (per_item: number) => ({ per_item, unit: 'gpu-ms' });
    context.answer = {
      kind: 'rows',
      provenance: { model: 'large', version: '1', route: 'cascade:2', engineMs: 1 },
      model: { cost: cost(6) } as never,
      rows: Array(10).fill([]),
      queueMs: 0,
      runs: [
        { model: 'small', version: '1', cost: cost(1), items: 10, cachedItems: 0 },
        { model: 'large', version: '1', cost: cost(6), items: 3, cachedItems: 0 },
      ],
    };
    await stages.settle.run(context);
    assert.equal(await until(spent, 28e9), 28e9, 'settled to 10 × 1 + 3 × 6');
  });

  it('reserve a rule route’s chosen model at its own cost', async () => {
    const { stages, counter } = setup({ spend_per_day: 1_000, spend_unit: 'gpu-ms' });
    await stages.reserve.run(routedContext(4, [localModel('large', 6)]));
    assert.equal(await counter('spend_per_day:gpu-ms', windowOf('day', NOW).startMs), 24e9);
  });

  it('reserve a stream’s prompt and max_tokens, and settle it, cut off, to what was sent', async () => {
    const { stages, counter } = setup({ tokens_per_minute: 10_000 });
    const context = chatContext();
    await stages.reserve.run(context);
    const reserved = (await counter('tokens_per_minute')) ?? 0;
    assert.ok(reserved > 100, `the prompt and 100 completion tokens reserved (${reserved})`);
    context.answer = cutOff(7);
    await stages.settle.run(context);
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    assert.ok(context.answer.kind === 'stream');
    await context.answer.relay(sink, { signal: new AbortController().signal, errorEvent: () => ({}) });
    assert.equal(await until(() => counter('tokens_per_minute'), 12), 12);
  });

  it('give back a failed request’s tokens, and keep it counted as a request', async () => {
    const { stages, counter } = setup({ tokens_per_minute: 10_000, requests_per_minute: 10 });
    const context = chatContext();
    await stages.reserve.run(context);
    stages.settle.rejected?.(context, new SluiceError('ERR_UPSTREAM_UNAVAILABLE', 'down'));
    assert.equal(await until(() => counter('tokens_per_minute'), 0), 0);
    assert.equal(await counter('requests_per_minute'), 1);
  });

  it('refuse a request whose estimate is over the limit before it is sent, reserving nothing', async () => {
    const { stages, counter } = setup({ tokens_per_minute: 50, requests_per_minute: 10 });
    const error = await Promise.resolve(stages.reserve.run(chatContext())).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'ERR_RATE_LIMITED');
    assert.match(
      error.message,
      /tenant "acme" is over its tokens_per_minute limit of 50; this request alone \(\d+\) exceeds it/,
    );
    assert.equal(await counter('requests_per_minute'), 0);
  });
});
