/**
 * A budget on a remote model in front of `sluice sim`: 200 chat requests at once, half of
 * them streamed, each reserving its prompt tokens (sluice's tokenizer) and its max_tokens
 * at the model's prices before it is sent. The ledger's charge for what was answered, the
 * real usage, never passes the budget, and the requests past it are refused naming it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { testKey } from './support/keys.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const PRICE = { input_per_million_tokens: 2, output_per_million_tokens: 8, currency: 'USD' };
const BUDGET_USD = 0.004;
const acme = testKey({ scopes: ['infer'] });
const admin = testKey({ scopes: ['admin', 'metrics'] });

let sim: Simulator;
let sluice: Sluice;

before(async () => {
  sim = await startSimulator({ port: 0, seed: 9, latency: FAST });
  sluice = await startTestSluice({
    config: {
      auth: { enabled: true },
      tenants: [
        { name: 'acme', keys: [acme.entry], limits: { spend_per_day: BUDGET_USD, spend_unit: 'USD' } },
        { name: 'ops', keys: [admin.entry] },
      ],
      backends: [
        {
          name: 'sim',
          dialect: 'openai',
          replicas: [{ url: sim.url }],
          models: [{ name: 'chat', upstream: 'sim-small', price: PRICE }],
        },
      ],
      ledger: { flush_interval_ms: 50 },
    },
  });
});

after(async () => {
  await sluice.close();
  await sim.close();
});

function chat(index: number) {
  const stream = index % 2 === 1;
  return sluice.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: acme.bearer,
    payload: {
      model: 'chat',
      messages: [{ role: 'user', content: `how much is request number ${index}?` }],
      max_tokens: 12,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    },
  });
}

async function charged(): Promise<{ requests: number; cost: number }> {
  const response = await sluice.app.inject({ url: '/admin/usage?tenant=acme&group_by=tenant', headers: admin.bearer });
  const [row] = (response.json() as { usage: Array<{ requests: number; cost: number }> }).usage;
  return row ?? { requests: 0, cost: 0 };
}

test('200 chat requests at once, half streamed, are charged no more than their budget, and the rest refused', async () => {
  const responses = await Promise.all(Array.from({ length: 200 }, (_, index) => chat(index)));
  const answered = responses.filter((response) => response.statusCode === 200).length;
  const refused = responses.filter((response) => response.statusCode === 429);
  assert.ok(answered > 0, 'some were answered');
  assert.equal(answered + refused.length, 200, 'every other request was refused');
  assert.ok(refused.length > 0, 'some were refused');
  assert.ok(refused.every((response) => response.headers['x-sluice-error-code'] === 'ERR_BUDGET_EXCEEDED'));
  assert.match(refused[0]!.json().error.message, /tenant "acme" is over its spend_per_day budget of 0.004 USD/);

  // Streams are charged once relayed, on a later turn: wait until every answer is in the ledger.
  let total = await charged();
  for (const deadline = Date.now() + 5000; total.requests < answered && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    total = await charged();
  }
  assert.equal(total.requests, answered);
  assert.ok(total.cost > 0 && total.cost <= BUDGET_USD, `charged ${total.cost} USD against ${BUDGET_USD}`);
});
