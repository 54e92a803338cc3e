/**
 * OpenAI chat and completion requests to a remote model are checked against OpenAI's
 * request schema in the validate stage: a bad body is answered 400 with every failure and
 * never reaches the upstream (its POSTs are counted); a good one is served, streamed or not.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Sluice } from '../src/http/server.ts';
import { fakeBackendConfig, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { startTestSluice } from './support/server.ts';

let upstream: FakeUpstream;
let sluice: Sluice;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await startTestSluice({ config: { backends: [fakeBackendConfig([upstream])] } });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = sluice.app.server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await sluice.close();
  await upstream.close();
});

const HI = [{ role: 'user', content: 'hi' }];

function post(url: string, payload: Record<string, unknown>) {
  return sluice.app.inject({ method: 'POST', url, payload });
}

/** The POSTs the upstream received while `send` ran. */
async function reaching<T>(send: () => Promise<T>): Promise<{ result: T; sent: number }> {
  const before = upstream.chats();
  const result = await send();
  return { result, sent: upstream.chats() - before };
}

test('a chat body breaking the schema is answered 400 with every failure, and nothing goes upstream', async () => {
  const body = {
    model: 'chat',
    messages: [{ role: 'user', content: 'hi' }, { role: 'assistant' }, { role: 'tool', content: 'x' }],
    temperature: 'hot',
    top_k: 40,
  };
  for (const stream of [false, true]) {
    const { result: response, sent } = await reaching(() => post('/v1/chat/completions', { ...body, stream }));
    assert.equal(sent, 0);
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_REQUEST_INVALID');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const failures = [
      { param: 'messages[1].content', message: 'is required unless the message has tool_calls or function_call' },
      { param: 'messages[2].tool_call_id', message: 'is required' },
      { param: 'temperature', message: 'must be a number from 0 to 2, got "hot"' },
    ];
    assert.deepEqual(response.json(), {
      error: {
        message: failures.map((failure) => `${failure.param}: ${failure.message}`).join('; '),
        type: 'invalid_request_error',
        param: 'messages[1].content',
        code: 'err_request_invalid',
        failures,
      },
    });
  }
});

test('a bad stream flag is reported with the other failures, not alone', async () => {
  const { result: response, sent } = await reaching(() =>
    post('/v1/chat/completions', { model: 'chat', messages: HI, stream: 'yes', n: 0 }),
  );
  assert.equal(sent, 0);
  assert.equal(response.statusCode, 400);
  assert.deepEqual(response.json<{ error: { failures: unknown[] } }>().error.failures, [
    { param: 'stream', message: 'must be true or false, got "yes"' },
    { param: 'n', message: 'must be an integer from 1 to 128, got 0' },
  ]);
});

test('a completion body breaking the schema is answered 400 and not sent', async () => {
  const { result: response, sent } = await reaching(() =>
    post('/v1/completions', { model: 'chat', prompt: ['a', 1], logprobs: 9, best_of: 1, n: 2 }),
  );
  assert.equal(sent, 0);
  assert.equal(response.statusCode, 400);
  const { error } = response.json<{ error: { param: string; message: string } }>();
  assert.equal(error.param, 'prompt');
  assert.equal(
    error.message,
    'prompt: must hold one kind of element (strings, token ids or arrays of token ids); ' +
      'logprobs: must be an integer from 0 to 5, got 9; best_of: must be at least n (2), got 1',
  );
});

test('good bodies, fields sluice does not know among them, are served, streamed and not', async () => {
  const chat = { model: 'chat', messages: HI, temperature: 0.2, max_tokens: 8, top_k: 40, repetition_penalty: 1.1 };
  let { result: response, sent } = await reaching(() => post('/v1/chat/completions', chat));
  assert.equal(response.statusCode, 200);
  assert.equal(sent, 1);
  assert.equal(response.json<{ model: string }>().model, 'chat');
  ({ result: response, sent } = await reaching(() =>
    post('/v1/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } }),
  ));
  assert.equal(response.statusCode, 200);
  assert.equal(sent, 1);
  assert.match(response.body, /data: \[DONE\]/);
  ({ result: response, sent } = await reaching(() =>
    post('/v1/completions', { model: 'chat', prompt: 'Once', max_tokens: 0, echo: true, logprobs: 1 }),
  ));
  assert.equal(response.statusCode, 200);
  assert.equal(sent, 1);
});

test('the official client surfaces the refusal: status, code, param and the list of failures', async () => {
  const sent = upstream.chats();
  const bad = { model: 'chat', messages: [{ role: 'user' as const, content: 'hi' }], temperature: 'hot' };
  await assert.rejects(
    client.chat.completions.create(bad as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
    (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.code, 'err_request_invalid');
      assert.equal(error.param, 'temperature');
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /^400 temperature: must be a number from 0 to 2, got "hot"$/);
      assert.deepEqual((error.error as { failures: unknown }).failures, [
        { param: 'temperature', message: 'must be a number from 0 to 2, got "hot"' },
      ]);
      return true;
    },
  );
  const answer = await client.chat.completions.create({ model: 'chat', messages: bad.messages, temperature: 0.5 });
  assert.equal(answer.model, 'chat');
  assert.equal(upstream.chats() - sent, 1);
});

test('a local model on a generation route is still refused for what it is, whatever the body holds', async () => {
  const response = await post('/v1/chat/completions', { model: 'triage-small', messages: HI, temperature: 'hot' });
  assert.equal(response.statusCode, 400);
  assert.equal(response.headers['x-sluice-error-code'], 'ERR_MODEL_UNSUPPORTED_OPERATION');
  assert.equal(response.json<{ error: { param: string } }>().error.param, 'model');
});
