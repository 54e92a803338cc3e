/**
 * Remote generation requests are bounded by their replicas' own adaptive limits, not by
 * the HTTP admission gate's server-wide one: a gate with room for two requests at once
 * admits four open streams and more beside them, through the real HTTP server as well as
 * injected requests, and none of them holds a permit.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startSimulator } from '../src/offline/sim/sim-server.ts';
import { until } from './support/held-sessions.ts';
import { startTestSluice } from './support/server.ts';

/** ~10 s a stream: open for the whole test, ended by the client. */
const SLOW_STREAM = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 500 };

test('remote generation requests are not held to the gate limit: a server admitting two at once serves four open streams and more', async () => {
  const sim = await startSimulator({ port: 0, seed: 3, latency: SLOW_STREAM });
  const sluice = await startTestSluice({
    load: false,
    config: {
      admission: { enabled: true, min_limit: 1, max_limit: 2, initial_limit: 2 },
      backends: [
        {
          name: 'sim',
          dialect: 'openai',
          replicas: [{ url: sim.url }],
          health_check: { enabled: false },
          models: [{ name: 'chat', upstream: 'sim-small' }],
        },
      ],
    },
  });
  const hangUp = new AbortController();
  try {
    await sluice.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}/v1/chat/completions`;
    const chat = (stream: boolean, signal?: AbortSignal, maxTokens = 20) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'chat',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: maxTokens,
          stream,
        }),
        ...(signal === undefined ? {} : { signal }),
      });
    const streams = await Promise.all([
      chat(true, hangUp.signal),
      chat(true, hangUp.signal),
      chat(true, hangUp.signal),
      chat(true, hangUp.signal),
    ]);
    assert.deepEqual(
      streams.map((response) => response.status),
      [200, 200, 200, 200],
    );
    await until(() => sim.stats().running === 4, 'four streams are generating', 10_000);
    // Three unary requests of about a second each, all at once: past a limit of two, were they held to it.
    const unary = await Promise.all([chat(false, undefined, 2), chat(false, undefined, 2), chat(false, undefined, 2)]);
    assert.deepEqual(
      unary.map((response) => response.status),
      [200, 200, 200],
      'three unary requests at once beside them',
    );
    const injected = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
    });
    assert.equal(injected.statusCode, 200, 'and a unary request beside them');
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /^sluice_admission_refused_total\{guard="concurrency"\} 0$/m);
    assert.match(metrics, /^sluice_admission_inflight 0$/m, 'no open stream holds a permit');
  } finally {
    hangUp.abort();
    await sluice.close();
    await sim.close();
  }
});
