/**
 * Traffic quality end to end on loopback: the official openai client → sluice → the
 * simulator, or a small upstream of the test's own that answers each chat with the
 * finish_reason its user message's last word names and refuses user messages over 2,000
 * characters. Each remote model's first closed window is its reference; the next window,
 * shifted (in length, completion budget, finish reasons, or the words of its prompts), is
 * flagged on the right feature by the right test. A segment on message length shows the
 * errors in the long bucket, in the report and in /metrics.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/load.ts';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { createRng } from '../src/core/seeded-rng.ts';
import { isOovDrift } from '../src/quality/oov-drift.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import type { SegmentReport } from '../src/quality/segments/segment-tracker.ts';
import { startTestSluice } from './support/server.ts';

const WINDOW = 60;
const LONGEST_ACCEPTED = 2000;
const WORDS = ['the', 'lab', 'result', 'is', 'ready', 'for', 'my', 'visit', 'next', 'week', 'please', 'call'];
const FOREIGN = ['el', 'resultado', 'listo', 'para', 'mi', 'cita', 'semana', 'por', 'favor', 'llame', 'gracias', 'hoy'];
const REASONS = ['stop', 'length', 'tool_calls', 'content_filter'];

let sim: Simulator;
let upstream: Server;
let sluice: Sluice;
let client: OpenAI;

/** Chat only: finish_reason is the last user message's last word when it names one, else "stop"; long messages are refused. */
function answer(response: ServerResponse, body: Record<string, unknown>): void {
  const messages = body.messages as Array<{ role: string; content: string }>;
  const last = messages.at(-1)?.content ?? '';
  if (last.length > LONGEST_ACCEPTED) {
    const error = {
      message: 'context length exceeded',
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
    };
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    return;
  }
  const named = last.split(' ').at(-1) ?? '';
  const finish = REASONS.includes(named) ? named : 'stop';
  const choice = { index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: finish };
  const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(
      JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: body.model, choices: [choice], usage }),
    );
}

before(async () => {
  sim = await startSimulator({ port: 0, seed: 5, latency: { prefillMs: 0, prefillPerTokenMs: 0, decodeMs: 0.2 } });
  upstream = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8').on('data', (data: string) => (text += data));
    request.once('end', () => {
      // Only chat is served: anything else (a health probe) is not found.
      if (request.url !== '/v1/chat/completions') response.writeHead(404).end();
      else answer(response, JSON.parse(text) as Record<string, unknown>);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const models = (names: string[], name?: string) => names.map((model) => ({ name: model, upstream: name }));
  const backends = [
    {
      name: 'sim',
      dialect: 'openai',
      replicas: [{ url: sim.url }],
      models: models(['prompts', 'budgets', 'words'], 'sim-small'),
    },
    { name: 'own', dialect: 'openai', replicas: [{ url: upstreamUrl }], models: models(['finishes', 'lengths']) },
  ];
  const segments = {
    lengths: [{ name: 'message_length', by: 'text_length', field: 'messages', buckets: [200, 2000] }],
  };
  sluice = await startTestSluice({
    load: false,
    config: { backends, quality: { window_items: WINDOW, window_seconds: 3600, segments } },
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (sluice.app.server.address() as AddressInfo).port;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await sluice.close();
  await sim.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

/** `count` calls, 10 at a time, each made by `call(i)`. */
async function send(count: number, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += 10)
    await Promise.all(Array.from({ length: Math.min(10, count - start) }, (_, k) => call(start + k)));
}

function prompt(rng: ReturnType<typeof createRng>, words: number): string {
  return Array.from({ length: words }, () => WORDS[rng.int(WORDS.length)]).join(' ');
}

async function report(model: string): Promise<QualityReport & { segments: SegmentReport[] }> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quality` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

const flagged = (result: QualityReport) =>
  result.features.filter((feature) => feature.drifted).map((feature) => `${feature.name}:${feature.test}`);

async function metric(name: string, labels: Record<string, string>, metricName = name): Promise<number | undefined> {
  const found = sluice.metrics.registry.getSingleMetric(name);
  assert.ok(found !== undefined, `${name} is registered`);
  const { values } = await found.get();
  return values.find(
    (entry: { labels: Record<string, unknown>; metricName?: string }) =>
      (entry.metricName ?? name) === metricName &&
      Object.entries(labels).every(([key, value]) => entry.labels[key] === value),
  )?.value;
}

test('longer prompts are flagged on prompt_tokens by KS against the first window, and nothing else', async () => {
  const rng = createRng(1);
  const ask = (words: number) => () =>
    client.chat.completions.create({ model: 'prompts', messages: [{ role: 'user', content: prompt(rng, words) }] });
  await send(WINDOW, () => ask(5 + rng.int(10))());
  const reference = await report('prompts');
  assert.match(reference.reference?.source ?? '', /^the first window closed after start: 60 requests/);
  assert.deepEqual(reference.features, []);
  await send(WINDOW, () => ask(40 + rng.int(20))());
  const shifted = await report('prompts');
  assert.equal(shifted.window.closed, true);
  assert.deepEqual(flagged(shifted), ['prompt_tokens:ks'], JSON.stringify(shifted.features));
  assert.deepEqual(
    shifted.features.map((feature) => feature.name),
    ['prompt_tokens', 'completion_tokens', 'finish_reason', 'error', 'prompt.oov_rate'],
  );
  assert.equal(await metric('sluice_quality_feature_drift', { model: 'prompts', feature: 'prompt_tokens' }), 1);
  assert.equal(await metric('sluice_quality_feature_drift', { model: 'prompts', feature: 'completion_tokens' }), 0);
});

test('prompts of the same lengths, every other word from another language, are flagged on prompt.oov_rate alone', async () => {
  const rng = createRng(3);
  // Prompt i has 6 + i % 10 words in both windows and every answer 16 tokens: only the words change.
  const ask = (foreign: boolean) => (i: number) => {
    const words = Array.from({ length: 6 + (i % 10) }, (_, k) => {
      const from = foreign && k % 2 === 1 ? FOREIGN : WORDS;
      return from[rng.int(from.length)];
    });
    const messages = [{ role: 'user' as const, content: words.join(' ') }];
    return client.chat.completions.create({ model: 'words', messages, max_tokens: 16 });
  };
  await send(WINDOW, ask(false));
  await send(WINDOW, ask(true));
  const shifted = await report('words');
  assert.deepEqual(flagged(shifted), ['prompt.oov_rate:oov_band'], JSON.stringify(shifted.features));
  const oov = shifted.features.find(isOovDrift);
  assert.ok(oov !== undefined && oov.name === 'prompt.oov_rate');
  assert.equal(oov.live_count, WINDOW);
  // Of each window's 630 words (6 to 15 a prompt, six times), the 300 at odd places are foreign.
  assert.equal(oov.rate, 300 / 630);
  assert.equal(oov.reference_rate, 0, "the first window's held-out prompts use its vocabulary's words");
  const at = { model: 'words', feature: 'prompt.oov_rate' };
  assert.equal(await metric('sluice_quality_feature_drift', at), 1);
  assert.equal(await metric('sluice_quality_text_oov_rate', at), oov.rate);
  assert.equal(await metric('sluice_quality_feature_drift', { model: 'words', feature: 'prompt_tokens' }), 0);
});

test('a larger max_tokens in streamed answers is flagged on completion_tokens by KS, read when each stream ends', async () => {
  const rng = createRng(2);
  const stream = (maxTokens: number) => async () => {
    const chunks = await client.chat.completions.create({
      model: 'budgets',
      messages: [{ role: 'user', content: prompt(rng, 8) }],
      max_tokens: maxTokens,
      stream: true,
    });
    for await (const chunk of chunks) assert.ok(chunk.choices.length <= 1);
  };
  await send(WINDOW, () => stream(10 + rng.int(20))());
  await send(WINDOW, () => stream(100 + rng.int(40))());
  const shifted = await report('budgets');
  assert.deepEqual(flagged(shifted), ['completion_tokens:ks'], JSON.stringify(shifted.features));
  const completion = shifted.features.find((feature) => feature.name === 'completion_tokens');
  assert.equal(completion?.live_count, WINDOW, 'every stream was observed');
  // Without include_usage the streams report no prompt tokens: that feature has no values to test.
  assert.equal(
    shifted.features.find((feature) => feature.name === 'prompt_tokens'),
    undefined,
  );
});

function pin(model: string, payload?: object) {
  return sluice.app.inject({
    method: 'POST',
    url: `/admin/models/${model}/reference`,
    ...(payload ? { payload } : {}),
  });
}

test('a finish_reason mix of many "length" is flagged by chi-squared', async () => {
  // Every prompt names every reason, so only the last word, the one the upstream answers with, changes.
  const content = (reason: string) => `finish with one of ${REASONS.join(' ')}: ${reason}`;
  const ask = (reason: string) =>
    client.chat.completions.create({ model: 'finishes', messages: [{ role: 'user', content: content(reason) }] });
  const mix = (stop: number, length: number) => (i: number) =>
    ask(i % 10 < stop ? 'stop' : i % 10 < stop + length ? 'length' : 'tool_calls');
  await send(WINDOW, mix(8, 1));
  await send(WINDOW, mix(3, 6));
  const shifted = await report('finishes');
  assert.deepEqual(flagged(shifted), ['finish_reason:chisquare'], JSON.stringify(shifted.features));
  const current = await pin('finishes', { window: 'current' });
  assert.equal(current.statusCode, 400, 'a remote reference is a closed window');
  assert.equal(current.json<{ error: { param: string } }>().error.param, 'window');
  const pinned = await pin('finishes');
  assert.equal(pinned.statusCode, 201, pinned.body);
  assert.match(pinned.json<{ source: string }>().source, /^pinned through the admin API by anonymous at /);
  assert.deepEqual((await report('finishes')).features, [], 'the pinned window is the reference now');
  const audit = await sluice.app.inject({ url: '/admin/audit?action=quality.reference.capture' });
  const records = audit.json<{ records: Array<{ details: unknown }> }>().records;
  assert.deepEqual(
    records.map((record) => record.details),
    [{ model: 'finishes', version: '1', window: 'last_closed', rows: WINDOW }],
  );
  const local = await pin('lengths');
  assert.equal(local.statusCode, 409, 'no closed window of that model yet');
  assert.equal(local.headers['x-sluice-error-code'], 'ERR_QUALITY_WINDOW_EMPTY');
});

test('errors concentrated on long messages show in the long bucket of the segment, in the report and /metrics', async () => {
  const ask = (length: number, extra: object = {}) =>
    client.chat.completions
      .create({ model: 'lengths', messages: [{ role: 'user', content: 'x'.repeat(length) }], ...extra })
      .then(
        () => 'ok',
        (error: unknown) => (error instanceof OpenAI.APIError ? error.status : 'other'),
      );
  await send(25, () => ask(100));
  await send(15, () => ask(800));
  await send(15, () => ask(3000));
  // Refused by sluice itself before going upstream (temperature above 2): heard by the observe slot.
  await send(5, () => ask(3000, { temperature: 5 }));
  const { segments } = await report('lengths');
  const table = segments.map(({ segment, value, requests, error_rate }) => ({ segment, value, requests, error_rate }));
  assert.deepEqual(table, [
    { segment: 'message_length', value: '0-200', requests: 25, error_rate: 0 },
    { segment: 'message_length', value: '201-2000', requests: 15, error_rate: 0 },
    { segment: 'message_length', value: '2001+', requests: 20, error_rate: 1 },
  ]);
  const long = segments.find((entry) => entry.value === '2001+');
  assert.deepEqual([long?.p50_ms, long?.p99_ms], [null, null], 'no answered request, so no latency');
  const short = segments.find((entry) => entry.value === '0-200');
  assert.ok(short?.p50_ms != null && short.p99_ms != null && short.p99_ms >= short.p50_ms);
  const counted = (value: string, outcome: string) =>
    metric('sluice_quality_segment_requests_total', { model: 'lengths', segment: 'message_length', value, outcome });
  assert.equal(await counted('2001+', 'error'), 20);
  assert.equal(await counted('2001+', 'ok'), 0);
  assert.equal(await counted('0-200', 'ok'), 25);
  assert.equal(await counted('0-200', 'error'), 0);
  const durations = await metric(
    'sluice_quality_segment_duration_seconds',
    { model: 'lengths', segment: 'message_length', value: '201-2000' },
    'sluice_quality_segment_duration_seconds_count',
  );
  assert.equal(durations, 15);
  const errors = (await report('lengths')).features.length;
  assert.equal(errors, 0, 'the first window of this model is still open: no reference yet');
});

test('a segment bucket list that is not increasing fails at start, naming the key', () => {
  const segments = { lengths: [{ name: 'message_length', by: 'text_length', field: 'messages', buckets: [500, 200] }] };
  assert.throws(
    () => loadConfig({ env: {}, overrides: { quality: { segments } } }),
    /quality\.segments\.lengths\.0\.buckets: bucket bounds must be strictly increasing/,
  );
});
