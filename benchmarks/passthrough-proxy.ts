/**
 * The floor of gateway overhead: a proxy with nothing in it but `node:http` and an undici
 * Pool to one upstream. It forwards method, path, headers and body and streams the answer
 * back; no routing, parsing, logging or metrics. No Node.js gateway can add less on the
 * same cores, so gateway-overhead judges sluice's added latency against this one's.
 *
 *   node --import tsx benchmarks/passthrough-proxy.ts <port> <upstream origin> [connections]
 *
 * Listens on 127.0.0.1 only. SIGTERM closes it.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const [portText = '', upstream = '', connectionsText = '64'] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || port <= 0 || !upstream.startsWith('http://')) {
  console.error('usage: passthrough-proxy.ts <port> <upstream http origin> [connections]');
  process.exit(2);
}

// As many connections as a sluice backend keeps per replica by default, so both limit the upstream alike.
const pool = new Pool(upstream, { connections: Number(connectionsText), pipelining: 1 });

/** Hop-by-hop headers describe one connection, not the message (RFC 9110 §7.6.1); undici refuses some of them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'host',
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders & Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

const server = createServer((request, response) => {
  const method = (request.method ?? 'GET') as Dispatcher.HttpMethod;
  const options = {
    method,
    path: request.url ?? '/',
    headers: endToEnd(request.headers),
    body: method === 'GET' || method === 'HEAD' ? null : request,
  };
  // The upstream's body goes straight into our response as it arrives: nothing is buffered.
  pool
    .stream(options, ({ statusCode, headers }) => {
      response.writeHead(statusCode, endToEnd(headers));
      return response;
    })
    .catch((error: unknown) => {
      if (response.headersSent) response.destroy(error instanceof Error ? error : undefined);
      else response.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"upstream failed"}');
    });
});
// Fastify's default, which sluice keeps: neither side reconnects between two benchmark rows.
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
});
