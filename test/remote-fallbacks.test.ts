/** Fallback chains of remote models, end to end against simulators on loopback. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/load.ts';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const HEALTHY = { error_rate: 0, rate_limit_rate: 0 };
const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 3 });

let primary: Simulator;
let second: Simulator;
let third: Simulator;
let sluice: Sluice;
let client: OpenAI;

before(async () => {
  [primary, second, third] = (await Promise.all(
    [1, 2, 3].map(() => startSimulator({ port: 0, seed: 9, latency: FAST })),
  )) as [Simulator, Simulator, Simulator];
  const backend = (name: string, sim: Simulator, models: Array<{ name: string; fallbacks?: string[] }>) => ({
    name,
    dialect: 'openai',
    load_balancing: 'round_robin',
    replicas: [{ url: sim.url }],
    models: models.map((model) => ({ ...model, upstream: 'sim-small' })),
  });
  sluice = await startTestSluice({
    config: {
      backends: [
        backend('primary', primary, [{ name: 'chat', fallbacks: ['chat-second', 'chat-third'] }, { name: 'alone' }]),
        backend('second', second, [{ name: 'chat-second' }]),
        backend('third', third, [{ name: 'chat-third' }]),
      ],
    },
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({
    baseURL: `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}/v1`,
    apiKey: 'x',
    maxRetries: 0,
  });
});
after(async () => {
  await sluice.close();
  await Promise.all([primary, second, third].map((sim) => sim.close()));
});
beforeEach(() => {
  for (const sim of [primary, second, third]) sim.setFaults(HEALTHY);
});

test('a healthy model answers itself', async () => {
  assert.equal((await client.chat.completions.create(ask('chat'))).model, 'chat');
});

test('an unavailable model hands the request to its first fallback', async () => {
  primary.setFaults({ error_rate: 1 });
  const answer = await client.chat.completions.create(ask('chat'));
  assert.equal(answer.model, 'chat-second', 'the answer names the model that served it');
});

test('a shedding model (429) hands the request on, and the chain is tried in order', async () => {
  primary.setFaults({ rate_limit_rate: 1 });
  second.setFaults({ error_rate: 1 });
  assert.equal((await client.chat.completions.create(ask('chat'))).model, 'chat-third');
});

test('when the whole chain fails, the last failure reaches the client; a model without fallbacks fails alone', async () => {
  for (const sim of [primary, second, third]) sim.setFaults({ error_rate: 1 });
  await assert.rejects(
    client.chat.completions.create(ask('chat')),
    (error: { status?: number }) => error.status === 502,
  );
  primary.setFaults({ rate_limit_rate: 1 });
  await assert.rejects(
    client.chat.completions.create(ask('alone')),
    (error: { status?: number }) => error.status === 429,
  );
});

test('a fallback that names no model, or the model itself, is refused at start with the key named', () => {
  const backends = (fallbacks: string[]) => [
    { name: 'b', dialect: 'openai', replicas: [{ url: 'http://127.0.0.1:1' }], models: [{ name: 'chat', fallbacks }] },
  ];
  assert.throws(
    () => loadConfig({ env: {}, overrides: { backends: backends(['nowhere']) } }),
    /backends\.0\.models\.0\.fallbacks\.0: "nowhere" is not a model of any backend/,
  );
  assert.throws(
    () => loadConfig({ env: {}, overrides: { backends: backends(['chat']) } }),
    /cannot fall back to itself/,
  );
  const mixed = [
    {
      name: 'a',
      dialect: 'openai',
      replicas: [{ url: 'http://127.0.0.1:1' }],
      models: [{ name: 'chat', fallbacks: ['triton-model'] }],
    },
    { name: 'b', dialect: 'kserve-v2', replicas: [{ url: 'http://127.0.0.1:2' }], models: [{ name: 'triton-model' }] },
  ];
  assert.throws(
    () => loadConfig({ env: {}, overrides: { backends: mixed } }),
    /backends\.0\.models\.0\.fallbacks\.0: fallbacks link models of OpenAI-dialect backends only/,
  );
});
