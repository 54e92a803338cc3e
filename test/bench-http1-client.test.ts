/**
 * The load generator's HTTP/1.1 client: answers split across reads, chunked bodies,
 * interim 1xx heads, servers that close after a response, refused connections, client
 * timeouts, and connections opened ahead of a run.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { Http1ResponseParser } from '../benchmarks/lib/http1-response-parser.ts';
import { LoadClient } from '../benchmarks/lib/http-target.ts';

function feedByteByByte(parser: Http1ResponseParser, text: string): ReturnType<Http1ResponseParser['push']>[] {
  const bytes = Buffer.from(text, 'latin1');
  return Array.from(bytes, (_, index) => parser.push(bytes.subarray(index, index + 1)));
}

test('the parser finds each response end, however the bytes are split, and reads only status, error code and connection', () => {
  const responses = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    'HTTP/1.1 429 Too Many Requests\r\nx-sluice-error-code: ERR_ADMISSION_QUEUE_FULL\r\ncontent-length: 2\r\n\r\n{}',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\n',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\ncontent-length: 3\r\n\r\nbye',
  ];
  const expected = [
    { status: 200, errorCode: undefined, closes: false },
    { status: 429, errorCode: 'ERR_ADMISSION_QUEUE_FULL', closes: false },
    { status: 201, errorCode: undefined, closes: false },
    { status: 200, errorCode: undefined, closes: false },
    { status: 204, errorCode: undefined, closes: false },
    { status: 503, errorCode: undefined, closes: true },
  ];
  const whole = new Http1ResponseParser();
  const split = new Http1ResponseParser();
  for (const [index, text] of responses.entries()) {
    assert.deepEqual(whole.push(Buffer.from(text, 'latin1')), expected[index], text);
    const heads = feedByteByByte(split, text);
    assert.deepEqual(heads.at(-1), expected[index], `byte by byte: ${text}`);
    assert.ok(
      heads.slice(0, -1).every((head) => head === undefined),
      'no answer before its last byte',
    );
    assert.ok(whole.idle && split.idle);
  }
});

test('a body that runs to the connection end completes there; a cut body or a non-HTTP answer is an error', () => {
  const untilClose = new Http1ResponseParser();
  assert.equal(untilClose.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome body')), undefined);
  assert.equal(untilClose.end().status, 200);
  const cut = new Http1ResponseParser();
  assert.equal(cut.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc')), undefined);
  assert.throws(() => cut.end(), /middle of a response body/);
  assert.throws(
    () => new Http1ResponseParser().push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')),
    /not an HTTP\/1.1 response/,
  );
  assert.throws(
    () => new Http1ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n')),
    /bad content-length/,
  );
});

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('warm connections are greeted with a request, so a server waiting for their first headers never closes them with a 408', async () => {
  let connections = 0;
  const greeted: string[] = [];
  // Node answers 408 and closes a connection that has sent no request for headersTimeout.
  const server = createHttpServer(
    { headersTimeout: 1000, requestTimeout: 5000, connectionsCheckingInterval: 100 },
    (request, response) => {
      request.resume();
      if (request.url === '/hello') greeted.push(request.url);
      response.end('ok');
    },
  );
  server.on('connection', () => (connections += 1));
  const client = new LoadClient(await listen(server), { connections: 3, greeting: { method: 'GET', path: '/hello' } });
  try {
    assert.equal(await client.warm(), 3);
    assert.deepEqual(greeted, ['/hello', '/hello', '/hello'], 'each connection greeted once');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const answers = await Promise.all(Array.from({ length: 3 }, () => client.send({ method: 'GET', path: '/' })));
    assert.deepEqual(
      answers.map((answer) => answer.outcome),
      ['ok', 'ok', 'ok'],
    );
    assert.equal(connections, 3, 'the warm connections were still open');
    assert.equal(greeted.length, 3, 'no greeting on reuse');
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the client reuses keep-alive connections, opens new ones when a server closes, and reports statuses and error codes', async () => {
  let connections = 0;
  const server = createHttpServer((request, response) => {
    request.resume();
    if (request.url === '/close') response.setHeader('connection', 'close');
    if (request.url === '/shed') response.writeHead(429, { 'x-sluice-error-code': 'ERR_ADMISSION_OVERLOADED' });
    response.end(request.method === 'POST' ? 'x'.repeat(100_000) : 'ok');
  });
  server.on('connection', () => (connections += 1));
  const client = new LoadClient(await listen(server), { connections: 4 });
  try {
    assert.equal(await client.warm(), 4);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        client.send({ method: 'POST', path: '/', body: JSON.stringify({ index }) }),
      ),
    );
    assert.ok(answers.every((answer) => answer.outcome === 'ok'));
    assert.equal(connections, 4, 'forty requests on the four warm connections');
    assert.deepEqual(await client.send({ method: 'GET', path: '/shed' }), {
      outcome: 'shed',
      failureKind: 'ERR_ADMISSION_OVERLOADED',
    });
    const closing = await Promise.all(Array.from({ length: 8 }, () => client.send({ method: 'GET', path: '/close' })));
    assert.ok(closing.every((answer) => answer.outcome === 'ok'));
    assert.ok(connections >= 8, `a new connection for each one the server closed (${connections})`);
    assert.equal(client.outstanding, 0);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a spreading client sends each request on the connection idle longest, as separate users would', async () => {
  const ports: number[] = [];
  const server = createHttpServer((request, response) => {
    ports.push(request.socket.remotePort ?? 0);
    request.resume();
    response.end('ok');
  });
  const origin = await listen(server);
  const spreading = new LoadClient(origin, { connections: 4, spread: true });
  const reusing = new LoadClient(origin, { connections: 4 });
  try {
    for (const client of [spreading, reusing]) {
      assert.equal(await client.warm(), 4);
      ports.length = 0;
      for (let request = 0; request < 8; request += 1)
        assert.equal((await client.send({ method: 'GET', path: '/' })).outcome, 'ok');
      const used = new Set(ports).size;
      if (client === spreading)
        assert.deepEqual([used, ports.slice(4)], [4, ports.slice(0, 4)], 'round the four connections, in turn');
      else assert.equal(used, 1, 'one request at a time reuses the connection used last');
    }
  } finally {
    await spreading.close();
    await reusing.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a refused connection, a server that hangs up and a client timeout each end as an error answer', async () => {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('data', (data) => {
      if (data.toString().startsWith('GET /hangup')) socket.destroy();
      // /silent: never answers
    });
  });
  const origin = await listen(server);
  const client = new LoadClient(origin, { connections: 2, requestTimeoutMs: 200 });
  try {
    const hangup = await client.send({ method: 'GET', path: '/hangup' });
    assert.equal(hangup.outcome, 'error');
    const silent = await client.send({ method: 'GET', path: '/silent' });
    assert.deepEqual(silent, { outcome: 'error', failureKind: 'client timeout' });
    assert.equal(client.outstanding, 0);
  } finally {
    await client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  const refused = new LoadClient(origin, { connections: 1, requestTimeoutMs: 1000 });
  const answer = await refused.send({ method: 'GET', path: '/' });
  assert.deepEqual(answer, { outcome: 'error', failureKind: 'ECONNREFUSED' });
  await refused.close();
});
