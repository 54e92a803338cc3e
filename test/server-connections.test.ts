/**
 * Keep-alive: an idle connection stays open for `server.keep_alive_timeout_ms` (72 s by
 * default, longer than the idle timeouts of the load balancers in front), then closes.
 */
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

async function listening(sluice: Sluice): Promise<number> {
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  return (sluice.app.server.address() as AddressInfo).port;
}

test('the server keeps idle keep-alive connections for 72 s by default', async () => {
  const sluice = await startTestSluice({ load: false });
  try {
    await listening(sluice);
    assert.equal(sluice.app.server.keepAliveTimeout, 72_000);
  } finally {
    await sluice.close();
  }
});

test('an idle keep-alive connection is closed by the server after keep_alive_timeout_ms, not before', async () => {
  const sluice = await startTestSluice({ load: false, config: { server: { keep_alive_timeout_ms: 1000 } } });
  try {
    const port = await listening(sluice);
    const socket = connect({ host: '127.0.0.1', port });
    const answered = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
    socket.write('GET /v2/health/live HTTP/1.1\r\nhost: localhost\r\n\r\n');
    assert.match(await answered, /^HTTP\/1.1 200/);
    const idleSince = performance.now();
    await new Promise((resolve) => socket.once('close', resolve));
    const idleMs = performance.now() - idleSince;
    assert.ok(idleMs >= 900, `closed after ${idleMs.toFixed(0)} ms idle`);
  } finally {
    await sluice.close();
  }
});
