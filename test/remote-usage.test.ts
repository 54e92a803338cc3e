/**
 * Per-request measurements of remote OpenAI calls, end to end on loopback: the official
 * openai client → sluice → the simulator (which reports `usage`) or a plain node:http
 * upstream that reports none, so that sluice counts with its tokenizer. Each test uses
 * its own model names, so each reads counters that only its own calls moved.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { createSluice, type Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { countChatPromptTokens, countCompletionPromptTokens, countTokens } from '../src/engines/remote/tokens/index.ts';
import { until } from './support/held-sessions.ts';
import { defaultModelsDir } from './support/models.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const MESSAGES = [
  { role: 'system' as const, content: 'You are a helpful assistant.' },
  { role: 'user' as const, content: 'hello there' },
];
/** What the plain upstream generates, in the pieces it streams. */
const PIECES = ['Hello', ' there', ',', ' fri', 'end', '!'];
const ANSWER = PIECES.join('');

let sim: Simulator;
let bare: Server;
let bareUrl: string;
let sluice: Sluice;
let client: OpenAI;

/** An OpenAI-compatible upstream that never reports usage, streamed or not. */
function answerWithoutUsage(
  request: IncomingMessage,
  response: ServerResponse,
  body: { model: string; stream?: boolean; input?: unknown },
): void {
  const chat = request.url === '/v1/chat/completions';
  if (request.url === '/v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        object: 'list',
        model: body.model,
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.6, 0.8] })),
      }),
    );
    return;
  }
  const choice = (text: string) =>
    chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, finish_reason: null };
  if (body.stream !== true) {
    const message = chat
      ? { index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }
      : { index: 0, text: ANSWER, finish_reason: 'stop' };
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'x',
        object: chat ? 'chat.completion' : 'text_completion',
        created: 1,
        model: body.model,
        choices: [message],
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  for (const piece of PIECES)
    response.write(
      `data: ${JSON.stringify({ id: 'x', object, created: 1, model: body.model, choices: [choice(piece)] })}\n\n`,
    );
  response.end('data: [DONE]\n\n');
}

function backends(simUrl: string, upstreamUrl: string) {
  const models = (names: string[], upstream?: string) =>
    names.map((name) => ({ name, ...(upstream === undefined ? {} : { upstream }) }));
  return [
    {
      name: 'sim',
      dialect: 'openai',
      replicas: [{ url: simUrl }],
      models: models(
        ['sim-chat', 'sim-stream-usage', 'sim-stream', 'sim-completions', 'sim-embed', 'logged'],
        'sim-small',
      ),
    },
    {
      name: 'bare',
      dialect: 'openai',
      replicas: [{ url: upstreamUrl }],
      models: models(['bare-chat', 'bare-chat-stream', 'bare-completions', 'bare-completions-stream', 'bare-embed']),
    },
  ];
}

before(async () => {
  sim = await startSimulator({ port: 0, seed: 3, latency: FAST });
  bare = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8').on('data', (data: string) => (text += data));
    request.once('end', () => answerWithoutUsage(request, response, JSON.parse(text) as { model: string }));
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  sluice = await startTestSluice({ load: false, config: { backends: backends(sim.url, bareUrl) } });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({
    baseURL: `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  });
});

after(async () => {
  await sluice.close();
  await sim.close();
  bare.closeAllConnections();
  await new Promise((resolve) => bare.close(resolve));
});

/** One series' value (for a histogram, `metricName` picks `_count` or `_sum`), 0 when absent. */
async function metric(name: string, labels: Record<string, string>, metricName = name): Promise<number> {
  const found = sluice.metrics.registry.getSingleMetric(name);
  assert.ok(found !== undefined, `${name} is registered`);
  const { values } = await found.get();
  const matches = (entry: { labels: Record<string, unknown>; metricName?: string }) =>
    (entry.metricName ?? name) === metricName &&
    Object.entries(labels).every(([key, value]) => entry.labels[key] === value);
  return values.find(matches)?.value ?? 0;
}

/** Measuring finishes just after the answer: waits (bounded, generously for a busy CI machine) until `read` changes. */
async function changed(read: () => Promise<number>, from: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await read()) === from) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A model's token counters by direction and source, once its (only) call has been measured. */
async function tokens(model: string): Promise<Record<string, number>> {
  const input = async () =>
    (await metric('sluice_input_tokens_total', { model, source: 'upstream' })) +
    (await metric('sluice_input_tokens_total', { model, source: 'tokenizer' }));
  await changed(input, 0, `${model} is measured`);
  const read = (name: string, source: string) => metric(name, { model, source });
  return {
    inputUpstream: await read('sluice_input_tokens_total', 'upstream'),
    inputTokenizer: await read('sluice_input_tokens_total', 'tokenizer'),
    outputUpstream: await read('sluice_output_tokens_total', 'upstream'),
    outputTokenizer: await read('sluice_output_tokens_total', 'tokenizer'),
  };
}

test("the simulator's usage is taken as it is (source upstream), streamed with include_usage or not", async () => {
  const answer = await client.chat.completions.create({ model: 'sim-chat', messages: MESSAGES, max_tokens: 12 });
  assert.ok(answer.usage !== undefined);
  assert.deepEqual(await tokens('sim-chat'), {
    inputUpstream: answer.usage.prompt_tokens,
    inputTokenizer: 0,
    outputUpstream: 12,
    outputTokenizer: 0,
  });

  const stream = await client.chat.completions.create({
    model: 'sim-stream-usage',
    messages: MESSAGES,
    max_tokens: 9,
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) usage = chunk.usage ?? usage;
  assert.ok(usage !== undefined);
  assert.deepEqual(await tokens('sim-stream-usage'), {
    inputUpstream: usage.prompt_tokens,
    inputTokenizer: 0,
    outputUpstream: 9,
    outputTokenizer: 0,
  });

  const completion = await client.completions.create({
    model: 'sim-completions',
    prompt: 'once upon a time',
    max_tokens: 5,
  });
  assert.deepEqual(await tokens('sim-completions'), {
    inputUpstream: completion.usage?.prompt_tokens,
    inputTokenizer: 0,
    outputUpstream: 5,
    outputTokenizer: 0,
  });

  const embeddings = await client.embeddings.create({
    model: 'sim-embed',
    input: ['a b c', 'd'],
    encoding_format: 'float',
  });
  assert.deepEqual(await tokens('sim-embed'), {
    inputUpstream: embeddings.usage.prompt_tokens,
    inputTokenizer: 0,
    outputUpstream: 0,
    outputTokenizer: 0,
  });
});

test('a stream without usage is counted with the tokenizer: the prompt from the request, the output from the deltas', async () => {
  let streamed = '';
  for await (const chunk of await client.chat.completions.create({
    model: 'bare-chat-stream',
    messages: MESSAGES,
    stream: true,
  }))
    streamed += chunk.choices[0]?.delta.content ?? '';
  assert.equal(streamed, ANSWER);
  assert.deepEqual(await tokens('bare-chat-stream'), {
    inputUpstream: 0,
    inputTokenizer: await countChatPromptTokens(MESSAGES),
    outputUpstream: 0,
    outputTokenizer: countTokens(ANSWER),
  });

  // The simulator too, when the client does not ask for usage: sluice counts its words as BPE tokens.
  let simText = '';
  for await (const chunk of await client.chat.completions.create({
    model: 'sim-stream',
    messages: MESSAGES,
    max_tokens: 20,
    stream: true,
  }))
    simText += chunk.choices[0]?.delta.content ?? '';
  assert.deepEqual(await tokens('sim-stream'), {
    inputUpstream: 0,
    inputTokenizer: await countChatPromptTokens(MESSAGES),
    outputUpstream: 0,
    outputTokenizer: countTokens(simText),
  });

  for await (const chunk of await client.completions.create({
    model: 'bare-completions-stream',
    prompt: 'once upon a time',
    stream: true,
  }))
    assert.ok(typeof chunk.choices[0]?.text === 'string');
  assert.deepEqual(await tokens('bare-completions-stream'), {
    inputUpstream: 0,
    inputTokenizer: 4,
    outputUpstream: 0,
    outputTokenizer: countTokens(ANSWER),
  });
});

test('a non-streamed answer without usage is counted with the tokenizer, embeddings input included', async () => {
  const answer = await client.chat.completions.create({ model: 'bare-chat', messages: MESSAGES });
  assert.equal(answer.choices[0]?.message.content, ANSWER);
  assert.deepEqual(await tokens('bare-chat'), {
    inputUpstream: 0,
    inputTokenizer: await countChatPromptTokens(MESSAGES),
    outputUpstream: 0,
    outputTokenizer: countTokens(ANSWER),
  });

  const prompt = ['I need a refill', 'Where are my lab results?'];
  await client.completions.create({ model: 'bare-completions', prompt });
  assert.deepEqual(await tokens('bare-completions'), {
    inputUpstream: 0,
    inputTokenizer: await countCompletionPromptTokens(prompt),
    outputUpstream: 0,
    outputTokenizer: countTokens(ANSWER),
  });

  await client.embeddings.create({ model: 'bare-embed', input: prompt, encoding_format: 'float' });
  assert.deepEqual(await tokens('bare-embed'), {
    inputUpstream: 0,
    inputTokenizer: 4 + 6,
    outputUpstream: 0,
    outputTokenizer: 0,
  });
});

test('streams observe time to first token and output tokens per second; non-streamed answers stay out of both histograms', async () => {
  const count = (name: string, model: string) => metric(name, { model }, `${name}_count`);
  const ttft = 'sluice_time_to_first_token_seconds';
  const rate = 'sluice_output_tokens_per_second';
  const before = { ttft: await count(ttft, 'sim-stream'), rate: await count(rate, 'sim-stream') };
  const stream = await client.chat.completions.create({
    model: 'sim-stream',
    messages: MESSAGES,
    max_tokens: 30,
    stream: true,
  });
  for await (const chunk of stream) assert.ok(chunk.choices.length <= 1);
  await changed(() => count(rate, 'sim-stream'), before.rate, 'the stream is measured');
  assert.equal(await count(ttft, 'sim-stream'), before.ttft + 1);
  assert.equal(await count(rate, 'sim-stream'), before.rate + 1);
  assert.ok((await metric(rate, { model: 'sim-stream' }, `${rate}_sum`)) > 0);
  await tokens('sim-chat'); // measured in the first test
  assert.equal(await count(ttft, 'sim-chat'), 0);
  assert.equal(await count(rate, 'sim-chat'), 0);
});

test('each call writes one "usage" log line with its figures and their sources', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write: (data: Buffer, _encoding, callback) => {
      lines.push(JSON.parse(data.toString()) as Record<string, unknown>);
      callback();
    },
  });
  // startTestSluice's logger is silent: this sluice writes its logs where the test reads them.
  const config = loadConfig({
    env: {},
    overrides: {
      backends: backends(sim.url, bareUrl),
      models: { repository: await defaultModelsDir(), build_defaults: false },
      server: { port: 0, host: '127.0.0.1' },
    },
  });
  const logged = createSluice(config, pino({ level: 'info', base: null, timestamp: false }, sink));
  try {
    const response = await logged.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'bare-chat-stream', messages: MESSAGES, stream: true },
    });
    assert.equal(response.statusCode, 200);
    await until(() => lines.some((line) => line.msg === 'usage'), 'the usage line is written');
    const usage = lines.filter((line) => line.msg === 'usage');
    assert.equal(usage.length, 1);
    const { reqId, level, ttftMs, outputTokensPerSecond, ...figures } = usage[0] ?? {};
    assert.equal(reqId, response.headers['x-request-id']);
    assert.equal(level, 30); // info
    assert.ok(
      typeof ttftMs === 'number' && typeof outputTokensPerSecond === 'number',
      'timings are there (their values are not tested)',
    );
    assert.deepEqual(figures, {
      msg: 'usage',
      model: 'bare-chat-stream',
      path: '/v1/chat/completions',
      stream: true,
      completed: true,
      inputTokens: await countChatPromptTokens(MESSAGES),
      inputSource: 'tokenizer',
      outputTokens: countTokens(ANSWER),
      outputSource: 'tokenizer',
    });
  } finally {
    await logged.close();
  }
});
