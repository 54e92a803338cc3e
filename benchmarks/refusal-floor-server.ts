/**
 * The floor of load shedding: an HTTP server with nothing in it but `node:http`, answering
 * every request at once with the 429 sluice's admission gate sends (same status, headers
 * and body size), without reading the body. No Node.js server can refuse a request for
 * less CPU on the same core, so the overload benchmark bounds what shedding can leave
 * for serving with this one's cost per refusal.
 *
 *   node --import tsx benchmarks/refusal-floor-server.ts <port>
 *
 * `GET /` answers 200 (readiness). Listens on 127.0.0.1 only. SIGTERM closes it.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? '');
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: refusal-floor-server.ts <port>');
  process.exit(2);
}

const body = JSON.stringify({
  error:
    'the server is at its limit of 256 concurrent inference requests; the request was refused before its body was read',
});
const headers = {
  'x-sluice-error-code': 'ERR_ADMISSION_OVERLOADED',
  'retry-after': '1',
  'retry-after-ms': '20',
  'content-type': 'application/json; charset=utf-8',
  'x-request-id': '00000000-0000-4000-8000-000000000000',
};

const server = createServer({ keepAliveTimeout: 72_000 }, (request, response) => {
  if (request.method === 'GET' && request.url === '/') return response.end('ok');
  response.writeHead(429, headers);
  response.end(body);
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
