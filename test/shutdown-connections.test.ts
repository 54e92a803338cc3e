/**
 * Graceful shutdown over real keep-alive connections: what a deploy does to clients that
 * are still sending. `load-control.test.ts` checks the shutdown's stages through inject();
 * these check the sockets: no request on its way to an open connection is cut off.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Pool } from 'undici';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

const QUIET_MS = 400;
const BODY = JSON.stringify({ instances: ['I need a refill'] });

async function listening(): Promise<{ sluice: Sluice; origin: string }> {
  const sluice = await startTestSluice({ config: { server: { shutdown_quiet_ms: QUIET_MS } } });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = sluice.app.server.address() as AddressInfo;
  return { sluice, origin: `http://127.0.0.1:${port}` };
}

/** One predict request; its status and Connection header, or the client's error code. */
async function predict(pool: Pool): Promise<{ status: number; connection: string | undefined } | { error: string }> {
  try {
    const { statusCode, headers, body } = await pool.request({
      path: '/v1/models/triage-small:predict',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    await body.text();
    const connection = headers['connection'];
    return { status: statusCode, connection: typeof connection === 'string' ? connection : undefined };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graceful shutdown over keep-alive connections', () => {
  test('a request on an idle connection just after SIGTERM gets a 503 that closes the connection, not a reset', async () => {
    const { sluice, origin } = await listening();
    const pool = new Pool(origin, { connections: 4 });
    try {
      const warm = await Promise.all(Array.from({ length: 4 }, () => predict(pool)));
      assert.deepEqual(
        warm.map((answer) => ('status' in answer ? answer.status : answer.error)),
        [200, 200, 200, 200],
        'four keep-alive connections, now idle',
      );
      const shutdown = sluice.shutdown(10_000);
      await sleep(50); // nothing is in flight: the old shutdown had closed the idle connections by now
      const late = await Promise.all(Array.from({ length: 4 }, () => predict(pool)));
      for (const answer of late) assert.deepEqual(answer, { status: 503, connection: 'close' });
      assert.deepEqual(await shutdown, { unfinished: 0 });
      assert.ok('error' in (await predict(pool)), 'once quiet, the server is closed');
    } finally {
      await pool.destroy();
      await sluice.close().catch(() => undefined);
    }
  });

  test('a client that keeps sending through shutdown gets 200s then 503s, never a reset, and the server closes once it stops', async () => {
    const { sluice, origin } = await listening();
    const pool = new Pool(origin, { connections: 8 });
    try {
      const answers: Promise<Awaited<ReturnType<typeof predict>>>[] = [];
      const sendFor = async (ms: number) => {
        const until = performance.now() + ms;
        while (performance.now() < until) {
          for (let request = 0; request < 4; request += 1) answers.push(predict(pool));
          await sleep(5);
        }
      };
      await sendFor(300);
      const shutdown = sluice.shutdown(10_000);
      let closedAt: number | undefined;
      void shutdown.then(() => (closedAt = performance.now()));
      await sendFor(600);
      const lastSentAt = performance.now();
      assert.equal(closedAt, undefined, 'the server stays open while requests keep arriving');
      const settled = await Promise.all(answers);
      const tally: Record<string, number> = {};
      for (const answer of settled) {
        const key = 'status' in answer ? String(answer.status) : answer.error;
        tally[key] = (tally[key] ?? 0) + 1;
      }
      const unanswered = Object.keys(tally).filter((key) => !['200', '429', '503'].includes(key));
      assert.deepEqual(
        unanswered,
        [],
        `every request answered (a full queue may shed with 429): ${JSON.stringify(tally)}`,
      );
      assert.ok(
        (tally['200'] ?? 0) > 0 && (tally['503'] ?? 0) > 0,
        `served before shutdown, refused during it: ${JSON.stringify(tally)}`,
      );
      assert.deepEqual(await shutdown, { unfinished: 0 });
      assert.ok(
        closedAt !== undefined && closedAt - lastSentAt >= QUIET_MS * 0.5,
        'closed only after a quiet time without requests',
      );
    } finally {
      await pool.destroy();
      await sluice.close().catch(() => undefined);
    }
  });
});
