/**
 * The many-users benchmark's parts: reading an SSE stream into first token / done /
 * truncated / error event, counting streams open at the peak, naming failures, and the
 * streaming load client against a plain node:http server on loopback that answers each
 * user in a different way. Behaviour, not timings; every run is bounded in time.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyBackendSettings, parseBackendPairs } from '../benchmarks/lib/many-users-config.ts';
import { PeakCounter } from '../benchmarks/lib/peak-counter.ts';
import { dataOf, SseStreamReader } from '../benchmarks/lib/sse-events.ts';
import { clientFailureKind, statusFailureKind, verdictFailureKind } from '../benchmarks/lib/stream-recorder.ts';
import { openFilesLimit, runStreamUsers } from '../benchmarks/lib/stream-users.ts';

const chunk = (delta: object) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

test('SSE: the first content token is reported once, across chunk boundaries; a role-only chunk is not content', () => {
  const reader = new SseStreamReader();
  assert.equal(reader.push(chunk({ role: 'assistant' })), false);
  const text = chunk({ content: 'Hel' }) + chunk({ content: 'lo' });
  assert.equal(reader.push(text.slice(0, 20)), false);
  assert.equal(reader.push(text.slice(20)), true);
  assert.equal(reader.push(chunk({ content: '!' })), false);
  assert.deepEqual(reader.verdict(), { kind: 'truncated' });
  reader.push('data: [DONE]\n\n');
  assert.deepEqual(reader.verdict(), { kind: 'done', sawContent: true });
  assert.equal(reader.events, 5);
});

test('SSE: an error event after content wins over everything after it; comments and CRLF are read as the spec says', () => {
  const reader = new SseStreamReader();
  reader.push(': keep-alive\r\n\r\n' + chunk({ content: 'a' }).replaceAll('\n', '\r\n'));
  assert.equal(reader.sawContent, true);
  reader.push(
    'data: {"error": {"message": "upstream broke off", "type": "server_error", "param": null, "code": "err_upstream_bad_response"}}\n\n',
  );
  reader.push('data: [DONE]\n\n');
  assert.deepEqual(reader.verdict(), { kind: 'error event', code: 'err_upstream_bad_response' });
  assert.equal(dataOf('event: x\ndata: one\ndata:two'), 'one\ntwo');
  assert.equal(dataOf(': only a comment'), undefined);
});

test('failures are named by kind: status with its code, error event, truncated, no content, reset, timeout', () => {
  assert.equal(statusFailureKind(429, 'ERR_ADMISSION_OVERLOADED'), 'status 429 ERR_ADMISSION_OVERLOADED');
  assert.equal(statusFailureKind(502, undefined), 'status 502');
  assert.equal(verdictFailureKind({ kind: 'done', sawContent: true }), undefined);
  assert.equal(verdictFailureKind({ kind: 'done', sawContent: false }), 'no content');
  assert.equal(verdictFailureKind({ kind: 'truncated' }), 'truncated');
  assert.equal(verdictFailureKind({ kind: 'error event', code: 'x' }), 'error event x');
  const coded = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(clientFailureKind(coded('UND_ERR_SOCKET')), 'reset');
  assert.equal(clientFailureKind(coded('ECONNRESET')), 'reset');
  assert.equal(clientFailureKind(coded('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
  assert.equal(clientFailureKind(coded('EMFILE')), 'error EMFILE');
});

test('the peak counter keeps the most open at once and refuses a leave without an enter', () => {
  const open = new PeakCounter();
  open.enter();
  open.enter();
  open.leave();
  open.enter();
  open.enter();
  open.leave();
  assert.deepEqual([open.current, open.peak], [2, 3]);
  open.leave();
  open.leave();
  assert.throws(() => open.leave(), RangeError);
});

test('the open files limit is read from /proc/<pid>/limits text', () => {
  const limits =
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                524288               files\n';
  assert.equal(openFilesLimit(limits), 20000);
  assert.equal(
    openFilesLimit('Max open files            unlimited            unlimited            files\n'),
    Number.POSITIVE_INFINITY,
  );
  assert.equal(openFilesLimit('no such line'), undefined);
});

test('backend settings: KEY=JSON pairs; a sized key the schema does not know is left out, a given one is kept', async () => {
  assert.deepEqual(parseBackendPairs(['connections=64', 'adaptive_concurrency={"enabled":false}', 'name=plain']), {
    connections: 64,
    adaptive_concurrency: { enabled: false },
    name: 'plain',
  });
  const dir = await mkdtemp(join(tmpdir(), 'bench-many-users-'));
  try {
    const path = join(dir, 'config.yaml');
    const config = {
      models: { repository: dir, build_defaults: false },
      backends: [
        { name: 'sim', dialect: 'openai', replicas: [{ url: 'http://127.0.0.1:9' }], models: [{ name: 'm' }] },
      ],
    };
    await writeFile(path, JSON.stringify(config));
    const result = await applyBackendSettings(path, { connections: 10, no_such_setting: 1 }, {});
    assert.deepEqual(result, { applied: { connections: 10 }, unknown: ['no_such_setting'] });
    const written = JSON.parse(await readFile(path, 'utf8')) as { backends: Array<Record<string, unknown>> };
    assert.equal(written.backends[0]?.['connections'], 10);
    assert.equal('no_such_setting' in (written.backends[0] ?? {}), false);
    await assert.rejects(applyBackendSettings(path, {}, { no_such_setting: 1 }), /invalid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// The load client against a server that answers each user differently (the body says how).

/** Streams that answer 200 are held at their first byte until this many have their headers out, so all are open at once. */
const STREAMING = ['ok', 'truncated', 'error-event', 'reset', 'hang'] as const;
const BEHAVIOURS = [...STREAMING, 'shed'] as const;
let server: Server;
let origin: string;
const held: Array<() => void> = [];
const seenPaths: string[] = [];

function answer(behaviour: string, response: ServerResponse): void {
  if (behaviour === 'shed') {
    response
      .writeHead(429, { 'x-sluice-error-code': 'ERR_ADMISSION_OVERLOADED', 'content-type': 'application/json' })
      .end('{}');
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.flushHeaders();
  held.push(() => stream(behaviour, response));
  // A moment after the last stream's headers, so the client has read them all before any stream ends.
  if (held.length === STREAMING.length) setTimeout(() => held.splice(0).forEach((release) => release()), 250);
}

function stream(behaviour: string, response: ServerResponse): void {
  if (behaviour === 'hang') return;
  response.write(chunk({ role: 'assistant', content: 'hi' }));
  if (behaviour === 'reset') response.write('', () => response.socket?.destroy());
  else if (behaviour === 'truncated') response.end();
  else if (behaviour === 'error-event')
    response.end(
      'data: {"error":{"message":"x","type":"server_error","param":null,"code":"err_upstream_timeout"}}\n\n',
    );
  else response.end(chunk({ content: ' there' }) + 'data: [DONE]\n\n');
}

before(async () => {
  server = createServer((request, response) => {
    seenPaths.push(request.url ?? '');
    let body = '';
    request.on('data', (part: Buffer) => (body += part.toString()));
    request.on('end', () => answer((JSON.parse(body) as { behaviour: string }).behaviour, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('stream users: one connection each, every stream open at once, failures by kind, a hung stream ends at its deadline', async () => {
  const started = performance.now();
  const summary = await runStreamUsers({
    origin,
    users: BEHAVIOURS.length,
    rampMs: 0,
    path: '/v1/chat/completions',
    body: (index) => JSON.stringify({ behaviour: BEHAVIOURS[index] }),
    streamTimeoutMs: 1_500,
  });
  assert.ok(performance.now() - started < 10_000);
  assert.deepEqual(seenPaths, Array(BEHAVIOURS.length).fill('/v1/chat/completions'));
  assert.equal(summary.sent, 6);
  assert.equal(summary.completed, 1);
  assert.deepEqual(summary.errors, {
    'error event err_upstream_timeout': 1,
    reset: 1,
    'status 429 ERR_ADMISSION_OVERLOADED': 1,
    timeout: 1,
    truncated: 1,
  });
  assert.equal(summary.failed, 5);
  assert.equal(summary.peakOpen, STREAMING.length);
  // First tokens: every 200 stream but the hung one; whole-stream times: the completed one only.
  assert.equal(summary.ttft.count, 4);
  assert.equal(summary.duration.count, 1);
  assert.ok(summary.duration.p50Ms >= summary.ttft.p50Ms - 1);
});

test('stream users: load goes to loopback only', async () => {
  await assert.rejects(
    runStreamUsers({
      origin: 'http://example.com',
      users: 1,
      rampMs: 0,
      path: '/',
      body: () => '{}',
      streamTimeoutMs: 100,
    }),
    /loopback only/,
  );
});
