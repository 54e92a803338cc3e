/**
 * Failure handling of a remote backend end to end: two simulator replicas behind sluice,
 * one or both failing on purpose.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const CHAT = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 3 };

async function twoReplicas(loadBalancing: 'p2c_peak_ewma' | 'round_robin' = 'p2c_peak_ewma') {
  const sims = await Promise.all([1, 2].map(() => startSimulator({ port: 0, seed: 5, latency: FAST })));
  const sluice = await startTestSluice({
    config: {
      backends: [
        {
          name: 'sim',
          dialect: 'openai',
          load_balancing: loadBalancing,
          replicas: sims.map((sim) => ({ url: sim.url })),
          models: [{ name: 'chat', upstream: 'sim-small' }],
        },
      ],
    },
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({
    baseURL: `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}/v1`,
    apiKey: 'x',
    maxRetries: 0,
  });
  return { sims, sluice, client, close: () => closeAll(sluice, sims) };
}

async function closeAll(sluice: Sluice, sims: Simulator[]): Promise<void> {
  await sluice.close();
  await Promise.all(sims.map((sim) => sim.close()));
}

/** Requests a simulator answered with an injected 500. */
const errorsInjected = (sim: Simulator) => sim.stats().faults_injected.error;
const upstreamAttempts = (sims: Simulator[]) =>
  sims.reduce((sum, sim) => sum + errorsInjected(sim) + sim.stats().completed, 0);

test('under a full outage, retries stay within the retry budget', async () => {
  // Round robin has no circuit breakers, so every request reaches an upstream and only
  // the budget limits the retries.
  const { sims, client, close } = await twoReplicas('round_robin');
  try {
    for (const sim of sims) sim.setFaults({ error_rate: 1 });
    const requests = 300;
    let failed = 0;
    for (let index = 0; index < requests; index += 1) {
      await client.chat.completions.create(CHAT).catch(() => (failed += 1));
    }
    assert.equal(failed, requests, 'nothing can succeed');
    // Without a budget each request would make 2 attempts (600). The budget allows 20%
    // of requests plus 10 a second over its 10 s window: at most 60 + 100 retries.
    const attempts = upstreamAttempts(sims);
    assert.ok(attempts >= requests, `every request reached an upstream (${attempts})`);
    assert.ok(attempts <= requests + 60 + 100, `retries stayed within the budget: ${attempts - requests}`);
  } finally {
    await close();
  }
});

test('under a full outage, circuit breakers stop sending to the replicas and answer 503 at once', async () => {
  const { sims, client, close } = await twoReplicas();
  try {
    for (const sim of sims) sim.setFaults({ error_rate: 1 });
    const statuses: number[] = [];
    for (let index = 0; index < 100; index += 1) {
      await client.chat.completions
        .create(CHAT)
        .catch((error: { status?: number }) => statuses.push(error.status ?? 0));
    }
    assert.equal(statuses.length, 100);
    assert.ok(
      upstreamAttempts(sims) <= 20,
      `the replicas were spared once the breakers opened (${upstreamAttempts(sims)} attempts)`,
    );
    assert.ok(
      statuses.filter((status) => status === 503).length >= 80,
      'most requests were refused without an upstream attempt',
    );
  } finally {
    await close();
  }
});

test('a failing replica gets few requests (P2C, ejection, breakers) and every request succeeds on the other', async () => {
  const { sims, client, close } = await twoReplicas();
  const [bad, good] = sims as [Simulator, Simulator];
  try {
    bad.setFaults({ error_rate: 1 });
    for (let index = 0; index < 80; index += 1) await client.chat.completions.create(CHAT);
    assert.ok(
      errorsInjected(bad) <= 10,
      `the failing replica was spared after at most a few tries (${errorsInjected(bad)})`,
    );
    assert.equal(good.stats().completed, 80, 'every request was served by the healthy replica');
  } finally {
    await close();
  }
});

test('round robin, the naive baseline, keeps sending to the failing replica', async () => {
  const { sims, client, close } = await twoReplicas('round_robin');
  const [bad] = sims as [Simulator, Simulator];
  try {
    bad.setFaults({ error_rate: 1 });
    for (let index = 0; index < 40; index += 1) await client.chat.completions.create(CHAT);
    assert.ok(errorsInjected(bad) >= 15, `round robin sent it about half the requests (${errorsInjected(bad)})`);
  } finally {
    await close();
  }
});
