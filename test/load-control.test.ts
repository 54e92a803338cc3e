import assert from 'node:assert/strict';
import { testKey } from './support/keys.ts';
import type { AddressInfo } from 'node:net';
import { before, describe, test } from 'node:test';
import { request } from 'undici';
import type { Sluice } from '../src/http/server.ts';
import { HeldSessions, until } from './support/held-sessions.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

interface SchedulingDocument {
  scheduling?: Record<string, number>;
}

const QUEUE_ROWS = 4;
let repository: string;
before(async () => {
  repository = await repositoryWith<SchedulingDocument>(['triage-small', 'embed'], (document) => {
    document.scheduling = {
      priority_levels: 3,
      default_priority_level: 2,
      max_queue_size: QUEUE_ROWS,
      default_timeout_ms: 10_000,
    };
  });
});

/** A server whose batches are held until the test lets them run. */
async function heldServer(config: Record<string, unknown> = {}) {
  const sessions = new HeldSessions();
  const sluice = await startTestSluice({ repository, openSession: sessions.open, config });
  sessions.started = 0; // warm-up batches went through the sessions too
  sessions.hold();
  return { sluice, sessions };
}

/** Runs `body` against a held server, then lets every batch go and closes it. */
async function withHeldServer(
  body: (server: { sluice: Sluice; sessions: HeldSessions }) => Promise<void>,
): Promise<void> {
  const server = await heldServer();
  try {
    await body(server);
  } finally {
    server.sessions.release();
    await server.sluice.close();
  }
}

const predict = (sluice: Sluice, text: string, headers: Record<string, string> = {}) =>
  sluice.app.inject({
    method: 'POST',
    url: '/v1/models/triage-small:predict',
    payload: { instances: [text] },
    headers,
  });

/**
 * Starts one request whose batch is held in the session, so the only instance is busy.
 * The pending response comes back wrapped: an async function returning it bare would
 * wait for it.
 */
async function occupy(sluice: Sluice, sessions: HeldSessions, headers: Record<string, string> = {}) {
  const running = predict(sluice, 'the first one', headers);
  await until(() => sessions.held === 1, 'the first batch is held in the session');
  return { running };
}

describe('bounded queues', () => {
  test('a full queue answers 429 at once with Retry-After, in the KServe and OpenAI envelopes', () =>
    withHeldServer(async ({ sluice, sessions }) => {
      const { running } = await occupy(sluice, sessions);
      const queued = Array.from({ length: QUEUE_ROWS }, (_, index) => predict(sluice, `queued ${index}`));
      await until(() => sluice.models.resolve('triage-small').stats()?.queued === QUEUE_ROWS, 'the queue is full');
      const shed = await predict(sluice, 'one too many');
      assert.equal(shed.statusCode, 429);
      assert.equal(shed.headers['x-sluice-error-code'], 'ERR_ADMISSION_QUEUE_FULL');
      assert.match(String(shed.headers['retry-after']), /^[1-9][0-9]*$/);
      assert.ok(Number(shed.headers['retry-after-ms']) >= 1);
      assert.deepEqual(Object.keys(shed.json()), ['error']);

      const embeddings = await sluice.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'embed', input: Array(QUEUE_ROWS + 1).fill('x') },
      });
      assert.equal(embeddings.statusCode, 429, 'a request larger than the whole queue is refused');
      assert.equal(embeddings.json().error.type, 'rate_limit_error');
      assert.equal(embeddings.json().error.code, 'err_admission_queue_full');

      sessions.release();
      for (const response of await Promise.all([running, ...queued]))
        assert.equal(response.statusCode, 200, 'every admitted request is served');
      const stats = (await sluice.app.inject('/v2/models/triage-small/stats')).json().model_stats[0];
      assert.equal(stats.shed.queue_full, 1);
      assert.deepEqual(stats.shed.by_tenant.default, { queue_full: 1, predicted_miss: 0, deadline: 0 });
      const metrics = (await sluice.app.inject('/metrics')).body;
      assert.match(
        metrics,
        /sluice_shed_total\{model="triage-small",version="1",reason="queue_full",tenant="default"\} 1/,
      );
      assert.match(
        metrics,
        /sluice_requests_total\{model="triage-small",version="1",protocol="kserve-v1",status="429"\} 1/,
      );
    }));
});

describe('deadlines', () => {
  test('a request whose deadline passes in the queue gets 504 and is never executed', () =>
    withHeldServer(async ({ sluice, sessions }) => {
      const { running } = await occupy(sluice, sessions);
      const late = await sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-small/infer',
        headers: { 'x-request-timeout-ms': '30' },
        payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['too late'] }] },
      });
      assert.equal(late.statusCode, 504);
      assert.equal(late.headers['x-sluice-error-code'], 'ERR_DEADLINE_EXCEEDED');
      assert.match(late.json().error, /timed out in the queue after \d+ ms/);
      sessions.release();
      assert.equal((await running).statusCode, 200);
      assert.equal(sessions.started, 1, 'only the first batch ever reached the session');
      assert.equal(sluice.models.resolve('triage-small').stats()?.executedItems, 1);
    }));

  test('KServe v2 parameters.timeout is in microseconds, and a request cannot lengthen its timeout', () =>
    withHeldServer(async ({ sluice, sessions }) => {
      const { running } = await occupy(sluice, sessions);
      const late = await sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-small/infer',
        payload: {
          // 200 ms, not 200 s; long enough that a predicted miss (warm-up measured on a starved machine) does not come first.
          parameters: { timeout: 200_000 },
          inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['200 ms'] }],
        },
      });
      assert.equal(late.statusCode, 504);
      sessions.release();
      await running;
    }));

  test('a request that cannot finish before its deadline is refused at once (predicted miss)', async () => {
    const bigQueue = await repositoryWith<SchedulingDocument>('triage-large', (document) => {
      document.scheduling = {
        priority_levels: 1,
        default_priority_level: 1,
        max_queue_size: 4096,
        default_timeout_ms: 60_000,
      };
    });
    const sessions = new HeldSessions();
    const sluice = await startTestSluice({ repository: bigQueue, openSession: sessions.open });
    sessions.hold();
    const infer = (texts: string[], headers: Record<string, string> = {}) =>
      sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-large/infer',
        headers,
        payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [texts.length], data: texts }] },
      });
    try {
      const first = infer(['the first one']);
      await until(() => sessions.held === 1, 'the first batch is held');
      // 2000 rows ahead are at least 63 full batches: far more than 1 ms of work at any
      // batch time warm-up can have measured.
      const backlog = infer(Array.from({ length: 2000 }, (_, index) => `backlog item ${index}`));
      await until(() => sluice.models.resolve('triage-large').stats()?.queued === 2000, 'the backlog is queued');
      const hurried = await infer(['in a hurry'], { 'x-request-timeout-ms': '1' });
      assert.equal(hurried.statusCode, 429);
      assert.equal(hurried.headers['x-sluice-error-code'], 'ERR_ADMISSION_PREDICTED_MISS');
      assert.ok(Number(hurried.headers['retry-after']) >= 1);
      assert.equal(sluice.models.resolve('triage-large').stats()?.shed.predicted_miss, 1);
      const patient = infer(['patient'], { 'x-request-timeout-ms': '60000' });
      sessions.release();
      for (const response of await Promise.all([first, backlog, patient])) assert.equal(response.statusCode, 200);
    } finally {
      sessions.release();
      await sluice.close();
    }
  });
});

describe('priorities', () => {
  test('a high-priority request queued after low-priority ones is served first', () =>
    withHeldServer(async ({ sluice, sessions }) => {
      const { running } = await occupy(sluice, sessions);
      const finished: string[] = [];
      const send = (name: string, priority: string) =>
        predict(sluice, name, { 'x-priority': priority }).then((response) => {
          assert.equal(response.statusCode, 200);
          finished.push(name);
        });
      const low = send('low', '3');
      await until(() => sluice.models.resolve('triage-small').stats()?.queued === 1, 'the low one is queued');
      const high = send('high', '1');
      await until(() => sluice.models.resolve('triage-small').stats()?.queued === 2, 'both are queued');
      assert.deepEqual(sluice.models.resolve('triage-small').stats()?.queuedByPriority, { 1: 1, 2: 0, 3: 1 });
      sessions.release();
      await Promise.all([running, low, high]);
      assert.deepEqual(finished[0], 'high');
    }));

  test('bad priority and timeout values are 400s naming the header or parameter', async () => {
    const sluice = await startTestSluice({ repository });
    try {
      const cases: Array<[Record<string, string>, string, RegExp]> = [
        [{ 'x-priority': '9' }, 'ERR_REQUEST_PRIORITY', /priority must be an integer from 1 \(highest\) to 3, got 9/],
        [{ 'x-priority': 'urgent' }, 'ERR_REQUEST_PRIORITY', /x-priority must be a positive integer/],
        [{ 'x-request-timeout-ms': '0' }, 'ERR_REQUEST_TIMEOUT', /x-request-timeout-ms must be a positive integer/],
        [{ 'x-request-timeout-ms': 'soon' }, 'ERR_REQUEST_TIMEOUT', /x-request-timeout-ms/],
      ];
      for (const [headers, code, message] of cases) {
        const response = await predict(sluice, 'hello', headers);
        assert.equal(response.statusCode, 400);
        assert.equal(response.headers['x-sluice-error-code'], code);
        assert.match(response.json().error, message);
      }
      const v2 = await sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-small/infer',
        payload: {
          parameters: { priority: -1 },
          inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }],
        },
      });
      assert.equal(v2.statusCode, 400);
      assert.match(v2.json().error, /parameters\.priority must be a positive integer/);
    } finally {
      await sluice.close();
    }
  });
});

describe('tenants', () => {
  const [CLINIC, BATCH] = [testKey(), testKey()];
  const tenants = [
    { name: 'clinic', keys: [CLINIC.entry], priority: 1, weight: 2 },
    { name: 'batch', keys: [BATCH.entry], priority: 3 },
  ];

  test('with auth on, a missing or unknown key is a 401 and a known key names the tenant', async () => {
    const sluice = await startTestSluice({ repository, config: { auth: { enabled: true }, tenants } });
    try {
      const missing = await sluice.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'embed', input: 'hi' },
      });
      assert.equal(missing.statusCode, 401);
      assert.equal(missing.json().error.type, 'authentication_error');
      assert.equal(missing.json().error.code, 'err_auth_missing_key');
      const wrong = await predict(sluice, 'hi', {
        authorization: 'Bearer sk-sluice-notakey234-0123456789abcdefABCDEF0123456789',
      });
      assert.equal(wrong.statusCode, 401);
      assert.match(wrong.json().error, /API key is not valid/);
      const ok = await predict(sluice, 'hi', CLINIC.bearer);
      assert.equal(ok.statusCode, 200);
      const lowered = await predict(sluice, 'hi', { 'x-api-key': BATCH.key, 'x-priority': '1' });
      assert.equal(lowered.statusCode, 400);
      assert.match(lowered.json().error, /tenant "batch" may use priority levels 3 to 3, not 1/);
      assert.equal((await sluice.app.inject('/v2/health/ready')).statusCode, 200, 'health needs no key');
    } finally {
      await sluice.close();
    }
  });
});

describe('graceful shutdown', () => {
  test('readiness turns false, new requests get 503, accepted ones finish, nothing is dropped', async () => {
    const { sluice, sessions } = await heldServer();
    const { running } = await occupy(sluice, sessions);
    const queued = predict(sluice, 'queued before shutdown');
    await until(() => sluice.models.resolve('triage-small').stats()?.queued === 1, 'one request is queued');
    const shutdown = sluice.shutdown(10_000);
    const ready = await sluice.app.inject('/v2/health/ready');
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { ready: false, reason: 'shutting down' });
    const refused = await predict(sluice, 'too late to start');
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_SERVER_SHUTTING_DOWN');
    sessions.release();
    assert.equal((await running).statusCode, 200);
    assert.equal((await queued).statusCode, 200);
    assert.deepEqual(await shutdown, { unfinished: 0 });
  });

  test('a client that hangs up is counted as 499 and shutdown does not wait for it', async () => {
    const { sluice, sessions } = await heldServer();
    await sluice.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = sluice.app.server.address() as AddressInfo;
    const abort = new AbortController();
    const hungUp = request(`http://127.0.0.1:${port}/v1/models/triage-small:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: ['I will not wait'] }),
      signal: abort.signal,
    }).catch((error: Error) => error.name);
    await until(() => sessions.held === 1, 'the batch is held');
    abort.abort();
    assert.equal(await hungUp, 'AbortError');
    const counted = async () =>
      (await sluice.metrics.registry.getSingleMetricAsString('sluice_requests_total')).includes(
        'protocol="kserve-v1",status="499"} 1',
      );
    for (let attempt = 0; attempt < 400 && !(await counted()); attempt += 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(await counted(), 'the hang-up is counted as 499');
    const shutdown = sluice.shutdown(60_000);
    sessions.release();
    assert.deepEqual(await shutdown, { unfinished: 0 }, 'shutdown finished without waiting out its grace period');
  });

  test('requests still open when the grace period ends are answered 503, not dropped', async () => {
    const { sluice, sessions } = await heldServer();
    const { running } = await occupy(sluice, sessions);
    const shutdown = sluice.shutdown(30);
    const response = await running;
    assert.equal(response.statusCode, 503);
    assert.match(response.json().error, /shut down before this request finished/);
    sessions.release();
    assert.deepEqual(await shutdown, { unfinished: 1 });
  });
});
