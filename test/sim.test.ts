import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { countTokens } from '../src/offline/sim/tokenizer.ts';

let sim: Simulator;
let client: OpenAI;
const messages = [{ role: 'user' as const, content: 'Tell me about sluice gates, please.' }];

before(async () => {
  sim = await startSimulator({
    port: 0,
    seed: 42,
    maxNumSeqs: 4,
    maxQueue: 4,
    latency: { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 0.2 },
  });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 5_000 });
});
after(() => sim.close());
beforeEach(() => sim.setFaults({ error_rate: 0, hang_rate: 0, reset_rate: 0, rate_limit_rate: 0, slow_factor: 1 }));

const post = (path: string, body: unknown) =>
  fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('GET / and /v1/models say it is a simulator', async () => {
  const root = await fetch(sim.url);
  assert.equal(root.headers.get('x-sluice-simulator'), 'true');
  assert.equal(((await root.json()) as { simulator: boolean }).simulator, true);
  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((model) => [model.id, model.owned_by]),
    [
      ['sim-small', 'sluice-simulator'],
      ['sim-large', 'sluice-simulator'],
    ],
  );
});

test('a chat completion is deterministic and reports usage from the tokenizer', async () => {
  const { data, response } = await client.chat.completions.create({ model: 'sim-small', messages }).withResponse();
  assert.equal(response.headers.get('x-sluice-simulator'), 'true');
  const again = await client.chat.completions.create({ model: 'sim-small', messages });
  const content = data.choices[0]?.message.content ?? '';
  assert.equal(data.object, 'chat.completion');
  assert.equal(again.choices[0]?.message.content, content);
  assert.equal(data.choices[0]?.finish_reason, 'stop');
  assert.equal(data.usage?.completion_tokens, countTokens(content));
  assert.ok((data.usage?.completion_tokens ?? 0) >= 10 && (data.usage?.completion_tokens ?? 0) <= 200);
  assert.equal(data.usage?.prompt_tokens, countTokens('user: Tell me about sluice gates, please.'));
  const capped = await client.chat.completions.create({ model: 'sim-small', messages, max_tokens: 5 });
  assert.deepEqual([capped.usage?.completion_tokens, capped.choices[0]?.finish_reason], [5, 'length']);
});

test('streaming sends one token per chunk, then finish_reason, usage and [DONE], with the same content', async () => {
  const reference = await client.chat.completions.create({ model: 'sim-large', messages, max_tokens: 12 });
  const stream = await client.chat.completions.create({
    model: 'sim-large',
    messages,
    max_tokens: 12,
    stream: true,
    stream_options: { include_usage: true },
  });
  const pieces: string[] = [];
  const finishReasons: (string | null | undefined)[] = [];
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice?.delta.content) pieces.push(choice.delta.content);
    if (choice) finishReasons.push(choice.finish_reason);
  }
  assert.equal(pieces.length, 12);
  assert.equal(pieces.join(''), reference.choices[0]?.message.content);
  assert.deepEqual(finishReasons.slice(-1), ['length']);
  assert.ok(finishReasons.slice(0, -1).every((reason) => reason === null));
  assert.deepEqual(usage, reference.usage);
  const raw = await (
    await post('/v1/chat/completions', { model: 'sim-small', messages, max_tokens: 2, stream: true })
  ).text();
  assert.ok(raw.trimEnd().endsWith('data: [DONE]'));
});

test('legacy completions answer and stream the same text', async () => {
  const full = await client.completions.create({ model: 'sim-small', prompt: 'Once upon a time', max_tokens: 6 });
  assert.equal(full.object, 'text_completion');
  const stream = await client.completions.create({
    model: 'sim-small',
    prompt: 'Once upon a time',
    max_tokens: 6,
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, full.choices[0]?.text);
  assert.equal(full.usage?.completion_tokens, 6);
});

test('embeddings are deterministic unit vectors, as floats or base64', async () => {
  const first = await client.embeddings.create({ model: 'sim-small', input: ['alpha', 'beta'] });
  const floats = await client.embeddings.create({
    model: 'sim-small',
    input: ['alpha', 'beta'],
    encoding_format: 'float',
  });
  const [alpha, beta] = first.data.map((item) => item.embedding);
  assert.equal(alpha?.length, 64);
  const norm = Math.hypot(...(alpha ?? []));
  assert.ok(Math.abs(norm - 1) < 1e-5, `unit norm, got ${norm}`);
  assert.notDeepEqual(alpha, beta);
  assert.deepEqual(
    floats.data[0]?.embedding.map((v) => Math.fround(v)),
    alpha,
  );
  assert.equal(first.usage.prompt_tokens, 2);
});

test('bad requests get 400 (unknown model 404) in the OpenAI error envelope', async () => {
  const cases: [unknown, number, string | null][] = [
    [{ model: 'sim-small', messages: 'hi' }, 400, 'messages'],
    [{ model: 'sim-small', messages: [{ role: 'user' }] }, 400, 'messages.0.content'],
    [{ model: 'sim-small', messages, max_tokens: 0 }, 400, 'max_tokens'],
    [{ model: 'sim-small', messages, max_tokens: 100_000 }, 400, 'max_tokens'],
    [{ model: 'sim-small', messages, n: 2 }, 400, 'n'],
    [{ model: 'gpt-4', messages }, 404, 'model'],
  ];
  for (const [body, status, param] of cases) {
    const response = await post('/v1/chat/completions', body);
    const envelope = (await response.json()) as { error: { message: string; type: string; param: string | null } };
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(envelope.error.param, param);
    assert.ok(envelope.error.message.length > 0);
  }
  await assert.rejects(
    client.chat.completions.create({ model: 'sim-small', messages, max_tokens: -1 }),
    (error: unknown) => error instanceof OpenAI.BadRequestError,
  );
});

test('error_rate 1 answers 500; rate_limit_rate 1 answers 429 with Retry-After', async () => {
  sim.setFaults({ error_rate: 1 });
  await assert.rejects(
    client.chat.completions.create({ model: 'sim-small', messages }),
    (error: unknown) => error instanceof OpenAI.InternalServerError,
  );
  sim.setFaults({ error_rate: 0, rate_limit_rate: 1 });
  await assert.rejects(client.chat.completions.create({ model: 'sim-small', messages }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.headers?.get('retry-after'), '1');
    return true;
  });
  assert.ok(sim.stats().faults_injected.error >= 1 && sim.stats().faults_injected.rate_limit >= 1);
});

test('reset_rate 1 breaks the connection, before any byte or after the stream headers', async () => {
  sim.setFaults({ reset_rate: 1 });
  await assert.rejects(
    client.chat.completions.create({ model: 'sim-small', messages }),
    (error: unknown) => error instanceof OpenAI.APIConnectionError,
  );
  await assert.rejects(async () => {
    const stream = await client.chat.completions.create({ model: 'sim-small', messages, stream: true });
    for await (const chunk of stream) void chunk;
  });
});

test('hang_rate 1 never answers: the client times out', async () => {
  const { faults_injected } = sim.stats();
  sim.setFaults({ hang_rate: 1 });
  await assert.rejects(
    client.chat.completions.create({ model: 'sim-small', messages }, { timeout: 100 }),
    (error: unknown) => error instanceof OpenAI.APIConnectionTimeoutError,
  );
  assert.equal(sim.stats().faults_injected.hang, faults_injected.hang + 1);
});

test('faults can be read and set over HTTP, and invalid updates are refused', async () => {
  const set = await post('/sim/faults', { error_rate: 0.5, seed: 9 });
  assert.equal(set.status, 200);
  const faults = (await (await fetch(`${sim.url}/sim/faults`)).json()) as { error_rate: number; seed: number };
  assert.deepEqual([faults.error_rate, faults.seed], [0.5, 9]);
  assert.equal((await post('/sim/faults', { error_rate: 2 })).status, 400);
  sim.setFaults({ seed: 42 });
});

test('slow_factor raises the latency the stats report', async () => {
  const meanTtftAfterOne = async (slowFactor: number) => {
    sim.setFaults({ slow_factor: slowFactor });
    const before = sim.stats();
    await client.chat.completions.create({ model: 'sim-small', messages, max_tokens: 4 });
    const after = sim.stats();
    return { ttft: after.mean_ttft_ms, count: after.completed - before.completed };
  };
  const fast = await meanTtftAfterOne(1);
  const slow = await meanTtftAfterOne(20);
  assert.equal(fast.count + slow.count, 2);
  assert.ok(slow.ttft > fast.ttft, `mean ttft should grow: ${fast.ttft} → ${slow.ttft}`);
});

test('a client that disconnects mid-stream cancels its sequence', async () => {
  sim.setFaults({ slow_factor: 50 });
  const cancelledBefore = sim.stats().cancelled;
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'sim-small', messages, max_tokens: 200, stream: true },
    { signal: controller.signal },
  );
  for await (const chunk of stream) {
    void chunk;
    controller.abort();
  }
  for (let attempt = 0; attempt < 100 && sim.stats().cancelled === cancelledBefore; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(sim.stats().cancelled, cancelledBefore + 1);
  assert.equal(sim.stats().running, 0);
});
