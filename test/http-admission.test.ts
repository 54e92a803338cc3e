import assert from 'node:assert/strict';
import { testKey } from './support/keys.ts';
import { before, describe, test } from 'node:test';
import { Client } from 'undici';
import { openOnnxSession } from '../src/engines/local/models/onnx-session.ts';
import type { Sluice } from '../src/http/server.ts';
import { HeldSessions, until } from './support/held-sessions.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

interface SchedulingDocument {
  scheduling?: Record<string, number>;
}

/**
 * Two inference requests at once, and no more: the third is refused by the gate. The
 * concurrency limit alone: the loop lag guard (tested on its own) reads a starved machine as overload.
 */
const TWO_AT_ONCE = { admission: { min_limit: 1, max_limit: 2, initial_limit: 2, loop_lag: { enabled: false } } };
const CLINIC = testKey();
const TENANTS = [{ name: 'clinic', keys: [CLINIC.entry] }];

let repository: string;
before(async () => {
  repository = await repositoryWith<SchedulingDocument>(['triage-small', 'embed'], (document) => {
    document.scheduling = { default_timeout_ms: 10_000 };
  });
});

/** Sessions whose batches can be held, or made to fail. */
function controlledSessions() {
  const held = new HeldSessions();
  const state = { failing: false };
  const open: typeof openOnnxSession = async (...args) => {
    const session = await held.open(...args);
    return {
      run: async (batch) => {
        if (state.failing) throw new Error('the session failed (test)');
        return session.run(batch);
      },
      release: () => session.release(),
    };
  };
  return { held, state, open };
}

async function heldServer(config: Record<string, unknown>) {
  const sessions = controlledSessions();
  const sluice = await startTestSluice({ repository, openSession: sessions.open, config });
  sessions.held.hold();
  return { sluice, sessions };
}

const predict = (sluice: Sluice, text: string, headers: Record<string, string> = {}) =>
  sluice.app.inject({
    method: 'POST',
    url: '/v1/models/triage-small:predict',
    payload: { instances: [text] },
    headers,
  });

/**
 * Two requests in flight: the first one's batch held in the session, the second queued
 * behind it. The pending responses come back wrapped: an async function returning them
 * bare would wait for them.
 */
async function occupyTwo(sluice: Sluice, sessions: HeldSessions, headers: Record<string, string> = {}) {
  const running = [predict(sluice, 'the first one', headers)];
  await until(() => sessions.held === 1, 'the first batch is held in the session');
  running.push(predict(sluice, 'the second one', headers));
  await until(() => sluice.models.resolve('triage-small').stats()?.queued === 1, 'the second request is queued');
  return { running };
}

/** With auth on, /metrics needs a key with the "metrics" scope. */
const metricsText = async (sluice: Sluice, headers: Record<string, string> = {}) =>
  (await sluice.app.inject({ url: '/metrics', headers })).body;

function assertOverloaded(response: Awaited<ReturnType<typeof predict>>): void {
  assert.equal(response.statusCode, 429);
  assert.equal(response.headers['x-sluice-error-code'], 'ERR_ADMISSION_OVERLOADED');
  assert.match(String(response.headers['retry-after']), /^[1-9][0-9]*$/);
  assert.ok(Number(response.headers['retry-after-ms']) >= 1);
}

describe('HTTP admission gate', () => {
  test('beyond the limit an inference request gets 429 before its body is read, in its protocol envelope; health and metrics still answer', async () => {
    const { sluice, sessions } = await heldServer(TWO_AT_ONCE);
    try {
      const { running } = await occupyTwo(sluice, sessions.held);

      const v1 = await predict(sluice, 'one too many');
      assertOverloaded(v1);
      assert.deepEqual(Object.keys(v1.json()), ['error']);
      assert.match(
        v1.json().error,
        /at its limit of 2 concurrent inference requests; the request was refused before its body was read/,
      );

      const v2 = await sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-small/versions/1/infer',
        payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }] },
      });
      assertOverloaded(v2);
      assert.deepEqual(Object.keys(v2.json()), ['error']);

      const openai = await sluice.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'embed', input: 'x' },
      });
      assertOverloaded(openai);
      const { error } = openai.json();
      assert.deepEqual(
        { ...error, message: undefined },
        { message: undefined, type: 'rate_limit_error', param: null, code: 'err_admission_overloaded' },
      );

      const unparsable = await sluice.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        headers: { 'content-type': 'application/json' },
        payload: '{"model": "embed", "input": [',
      });
      assert.equal(unparsable.statusCode, 429, 'a body that would be a 400 is never parsed');

      for (const url of [
        '/v2/health/ready',
        '/v2/health/live',
        '/v2',
        '/v2/models/triage-small',
        '/v2/models/triage-small/stats',
        '/v1/models',
        '/metrics',
      ]) {
        assert.equal((await sluice.app.inject(url)).statusCode, 200, `${url} is never gated`);
      }
      const metrics = await metricsText(sluice);
      assert.match(metrics, /^sluice_admission_limit 2$/m);
      assert.match(metrics, /^sluice_admission_inflight 2$/m);
      assert.match(metrics, /^sluice_admission_refused_total\{guard="concurrency"\} 4$/m);
      assert.match(metrics, /^sluice_admission_refused_total\{guard="loop_lag"\} 0$/m);
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="overloaded",tenant="default"\} 2/,
      );
      assert.match(
        metrics,
        /sluice_shed_total\{model="_unresolved",version="",reason="overloaded",tenant="default"\} 2/,
      );
      assert.match(metrics, /sluice_requests_total\{model="_unresolved",version="",protocol="openai",status="429"\} 2/);

      sessions.held.release();
      for (const response of await Promise.all(running))
        assert.equal(response.statusCode, 200, 'the admitted requests are served');
      assert.equal((await predict(sluice, 'after the release')).statusCode, 200, 'admitted again');
      assert.match(await metricsText(sluice), /^sluice_admission_inflight 0$/m);
    } finally {
      sessions.held.release();
      await sluice.close();
    }
  });

  test('client errors leave the limit alone; a server error backs it off', async () => {
    const { sluice, sessions } = await heldServer(TWO_AT_ONCE);
    sessions.held.release();
    try {
      // One at a time, so the limit of two never refuses any of them.
      const statuses = new Set<number>();
      for (let index = 0; index < 20; index += 1) {
        const response = await (index % 2 === 0
          ? sluice.app.inject({ method: 'POST', url: '/v2/models/no-such-model/infer', payload: { inputs: [] } })
          : sluice.app.inject({
              method: 'POST',
              url: '/v1/models/triage-small:predict',
              headers: { 'content-type': 'application/json' },
              payload: '{"instances": [',
            }));
        statuses.add(response.statusCode);
      }
      assert.deepEqual(statuses, new Set([404, 400]));
      assert.match(await metricsText(sluice), /^sluice_admission_limit 2$/m);

      sessions.state.failing = true;
      assert.equal((await predict(sluice, 'this batch fails')).statusCode, 500);
      assert.match(await metricsText(sluice), /^sluice_admission_limit 1$/m, '2 × 0.9, floored');
    } finally {
      await sluice.close();
    }
  });

  test('the tenant an API key names labels the shed count; a model name that does not resolve never becomes a label', async () => {
    const { sluice, sessions } = await heldServer({ ...TWO_AT_ONCE, auth: { enabled: true }, tenants: TENANTS });
    const key = CLINIC.bearer;
    try {
      const { running } = await occupyTwo(sluice, sessions.held, key);
      assertOverloaded(await predict(sluice, 'one too many', key));
      assertOverloaded(await predict(sluice, 'no key: refused before authentication'));
      assertOverloaded(
        await sluice.app.inject({
          method: 'POST',
          url: '/v1/models/made-up-model:predict',
          payload: { instances: ['x'] },
          headers: key,
        }),
      );
      const metrics = await metricsText(sluice, key);
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="overloaded",tenant="clinic"\} 1/,
      );
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="overloaded",tenant="_unauthenticated"\} 1/,
      );
      assert.match(
        metrics,
        /sluice_shed_total\{model="_unresolved",version="",reason="overloaded",tenant="clinic"\} 1/,
      );
      assert.doesNotMatch(metrics, /made-up-model/);
      sessions.held.release();
      for (const response of await Promise.all(running)) assert.equal(response.statusCode, 200);
    } finally {
      sessions.held.release();
      await sluice.close();
    }
  });

  test('a tenant that floods the gate stops at its share of the limit, and another tenant still gets in', async () => {
    const fourAtOnce = { admission: { min_limit: 4, max_limit: 4, initial_limit: 4, loop_lag: { enabled: false } } };
    const [floodKey, lightKey] = [testKey(), testKey()];
    const tenants = [
      { name: 'flood', keys: [floodKey.entry] },
      { name: 'light', keys: [lightKey.entry] },
    ];
    const { sluice, sessions } = await heldServer({ ...fourAtOnce, auth: { enabled: true }, tenants });
    const flood = floodKey.bearer;
    const light = lightKey.bearer;
    try {
      const running = [predict(sluice, 'light, first', light)];
      await until(() => sessions.held.held === 1, 'the first batch is held in the session');
      running.push(predict(sluice, 'flood, first', flood));
      running.push(predict(sluice, 'flood, second', flood));
      await until(
        () => sluice.models.resolve('triage-small').stats()?.queued === 2,
        "the flood's two requests are queued",
      );
      const third = await predict(sluice, 'flood, third', flood);
      assertOverloaded(third);
      assert.match(
        third.json().error,
        /tenant "flood" holds its share of the server's limit of 4 concurrent inference requests while other tenants are active/,
      );
      running.push(predict(sluice, 'light, second: a permit was kept for it', light));
      await until(
        () => sluice.models.resolve('triage-small').stats()?.queued === 3,
        "the light tenant's second request is queued",
      );
      const metrics = await metricsText(sluice, flood);
      assert.match(metrics, /^sluice_admission_refused_total\{guard="tenant_share"\} 1$/m);
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="overloaded",tenant="flood"\} 1/,
      );
      assert.doesNotMatch(metrics, /reason="overloaded",tenant="light"/);
      assert.match(metrics, /^sluice_admission_tenant_inflight\{tenant="flood"\} 2$/m);
      assert.match(metrics, /^sluice_admission_tenant_inflight\{tenant="light"\} 2$/m);
      assert.match(metrics, /^sluice_admission_tenant_share\{tenant="flood"\} 2$/m);
      sessions.held.release();
      for (const response of await Promise.all(running)) assert.equal(response.statusCode, 200);
    } finally {
      sessions.held.release();
      await sluice.close();
    }
  });

  test('a refused request with an unread body leaves its keep-alive connection usable', async () => {
    const { sluice, sessions } = await heldServer(TWO_AT_ONCE);
    let connections = 0;
    sluice.app.server.on('connection', () => (connections += 1));
    const origin = await sluice.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new Client(origin);
    const post = async (text: string) => {
      const response = await client.request({
        method: 'POST',
        path: '/v1/models/triage-small:predict',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [text.repeat(400)] }),
      });
      return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
    };
    try {
      const { running } = await occupyTwo(sluice, sessions.held);
      const refused = await post('refused before this body is read ');
      assert.equal(refused.status, 429);
      sessions.held.release();
      await Promise.all(running);
      const next = await post('served on the same connection ');
      assert.equal(next.status, 200);
      assert.ok(Array.isArray(next.body['predictions']));
      assert.equal(connections, 1);
    } finally {
      sessions.held.release();
      await client.close();
      await sluice.close();
    }
  });

  test('over a real socket, refusals are answered before fastify routes them, in every envelope, and counted', async () => {
    const { sluice, sessions } = await heldServer(TWO_AT_ONCE);
    const origin = await sluice.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new Client(origin);
    const post = async (path: string, payload: unknown, headers: Record<string, string> = {}) => {
      const response = await client.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: (await response.body.json()) as Record<string, unknown>,
      };
    };
    try {
      const { running } = await occupyTwo(sluice, sessions.held);
      const v1 = await post('/v1/models/triage-small:predict', { instances: ['x'] }, { 'x-request-id': 'screened-1' });
      assert.equal(v1.status, 429);
      assert.equal(v1.headers['x-sluice-error-code'], 'ERR_ADMISSION_OVERLOADED');
      assert.equal(v1.headers['x-request-id'], 'screened-1');
      assert.match(String(v1.headers['retry-after']), /^[1-9][0-9]*$/);
      assert.match(String(v1.headers['retry-after-ms']), /^[1-9][0-9]*$/);
      assert.equal(
        Number(v1.headers['retry-after']),
        Math.max(1, Math.ceil(Number(v1.headers['retry-after-ms']) / 1000)),
        'Retry-After is retry-after-ms in whole seconds, at least 1',
      );
      assert.match(
        String(v1.body['error']),
        /at its limit of 2 concurrent inference requests; the request was refused before its body was read/,
      );
      const v2 = await post('/v2/models/triage-small/versions/1/infer', { inputs: [] });
      assert.equal(v2.status, 429);
      assert.deepEqual(Object.keys(v2.body), ['error']);
      const openai = await post('/v1/embeddings', { model: 'embed', input: 'x' });
      assert.equal(openai.status, 429);
      assert.equal((openai.body['error'] as { code: string }).code, 'err_admission_overloaded');
      assert.equal((openai.body['error'] as { type: string }).type, 'rate_limit_error');
      const metrics = await metricsText(sluice);
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="overloaded",tenant="default"\} 2/,
      );
      assert.match(
        metrics,
        /sluice_shed_total\{model="_unresolved",version="",reason="overloaded",tenant="default"\} 1/,
      );
      assert.match(
        metrics,
        /sluice_requests_total\{model="triage-small",version="1",protocol="kserve-v1",status="429"\} 1/,
      );
      sessions.held.release();
      await Promise.all(running);
      // A request admitted by the screen returns its permit when its response finishes.
      for (let index = 0; index < 3; index += 1)
        assert.equal((await post('/v1/models/triage-small:predict', { instances: [`after ${index}`] })).status, 200);
      assert.match(await metricsText(sluice), /sluice_admission_inflight 0/);
    } finally {
      sessions.held.release();
      await client.close();
      await sluice.close();
    }
  });

  test('with load control off there is no gate', async () => {
    const { sluice, sessions } = await heldServer({
      load_control: { enabled: false },
      admission: { min_limit: 1, max_limit: 1, initial_limit: 1 },
    });
    try {
      const first = predict(sluice, 'the first one');
      await until(() => sessions.held.held === 1, 'the first batch is held in the session');
      const second = predict(sluice, 'not refused');
      const metrics = await metricsText(sluice);
      assert.doesNotMatch(metrics, /sluice_admission_limit/);
      sessions.held.release();
      for (const response of await Promise.all([first, second])) assert.equal(response.statusCode, 200);
    } finally {
      sessions.held.release();
      await sluice.close();
    }
  });
});
