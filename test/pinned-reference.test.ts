/**
 * A remote model's pinned reference outlasts a restart, end to end: sluice in front of
 * `sluice sim` on a SQLite state file; a window of long prompts is pinned through the admin
 * API, the server is closed and a new one started on the same file. Before any traffic the
 * new server names the pinned reference (its source, when and by whom), and its first window
 * of long prompts is tested against it (nothing drifts) rather than made the reference.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import type { ReferenceSummary } from '../src/quality/reference-summary.ts';
import { startSimChatSluice } from './support/sim-chat.ts';

const WINDOW = 30;

let sim: Simulator;
let directory: string;
let sluice: Sluice;

const start = () => startSimChatSluice({ simUrl: sim.url, directory, windowItems: WINDOW });

before(async () => {
  sim = await startSimulator({ port: 0, seed: 3, latency: { prefillMs: 0, prefillPerTokenMs: 0, decodeMs: 0.1 } });
  directory = mkdtempSync(join(tmpdir(), 'sluice-pinned-'));
  sluice = await start();
});

after(async () => {
  await sluice.close();
  await sim.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A window of chats whose prompts are `words` words long, give or take a few. */
async function chats(words: number): Promise<void> {
  for (let i = 0; i < WINDOW; i += 1) {
    const content = Array.from({ length: words + (i % 5) }, (_, n) => `word${n % 7}`).join(' ');
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'chat', messages: [{ role: 'user', content }], max_tokens: 8 },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
}

async function report(): Promise<QualityReport> {
  const response = await sluice.app.inject({ url: '/admin/models/chat/quality' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<QualityReport>();
}

async function reference(): Promise<ReferenceSummary | null> {
  const response = await sluice.app.inject({ url: '/admin/models/chat/reference' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ model: string; version: string; reference: ReferenceSummary | null }>().reference;
}

test("a remote model's pinned reference is read back from the state store by a restarted server", async () => {
  assert.equal(await reference(), null, 'no window has closed yet');
  await chats(5);
  assert.equal((await reference())?.origin, 'first_window');
  await chats(60);
  assert.ok(
    (await report()).features.some((feature) => feature.name === 'prompt_tokens' && feature.drifted),
    'long prompts drift from the first window',
  );
  const response = await sluice.app.inject({ method: 'POST', url: '/admin/models/chat/reference', payload: {} });
  assert.equal(response.statusCode, 201, response.body);
  const pinned = response.json<{ reference: ReferenceSummary }>().reference;
  assert.match(pinned.source, /^pinned through the admin API by anonymous at .*: 30 requests from /);
  assert.deepEqual([pinned.origin, pinned.made_by, pinned.rows], ['pinned', 'anonymous', WINDOW]);
  assert.deepEqual(await reference(), pinned);

  await sluice.close();
  sluice = await start();
  assert.deepEqual(await reference(), pinned, 'named before any traffic: where it came from, when and by whom');
  await chats(60);
  const restarted = await report();
  assert.equal(restarted.window.closed, true);
  assert.deepEqual(restarted.reference, pinned, 'the first window after the restart is not made the reference');
  const prompt = restarted.features.find((feature) => feature.name === 'prompt_tokens');
  assert.equal(prompt?.drifted, false, JSON.stringify(restarted.features));
});
