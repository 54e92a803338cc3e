/**
 * Two sluice servers on one SQLite state file, as replicas sharing a store, in front of
 * `sluice sim`: a remote model's window pinned on one is taken by the other when one of its
 * windows closes 30 s or more after it last read the store (on a wall clock the test moves),
 * and its windows are then tested against that pin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import type { ReferenceSummary } from '../src/quality/reference-summary.ts';
import { startSimChatSluice } from './support/sim-chat.ts';

const WINDOW = 30;
const clock = { now: Date.UTC(2026, 2, 1) };

let sim: Simulator;
let directory: string;
let replicas: Sluice[];

const start = () => startSimChatSluice({ simUrl: sim.url, directory, windowItems: WINDOW, wallClock: () => clock.now });

before(async () => {
  sim = await startSimulator({ port: 0, seed: 3, latency: { prefillMs: 0, prefillPerTokenMs: 0, decodeMs: 0.1 } });
  directory = mkdtempSync(join(tmpdir(), 'sluice-pin-replicas-'));
  replicas = [await start(), await start()];
});

after(async () => {
  for (const sluice of replicas) await sluice.close();
  await sim.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A window of chats to `sluice` whose prompts are `words` words long, give or take a few. */
async function chats(sluice: Sluice, words: number): Promise<void> {
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

async function reference(sluice: Sluice): Promise<ReferenceSummary | null> {
  const response = await sluice.app.inject({ url: '/admin/models/chat/reference' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ reference: ReferenceSummary | null }>().reference;
}

test('a pin made on one replica is in force on another within 30 s and a window', async () => {
  const [a, b] = replicas as [Sluice, Sluice];
  await chats(a, 5);
  await chats(b, 5);
  await chats(a, 60);
  const made = await a.app.inject({ method: 'POST', url: '/admin/models/chat/reference', payload: {} });
  assert.equal(made.statusCode, 201, made.body);
  const { reference: pinned, applies_to: applies } = made.json<{ reference: ReferenceSummary; applies_to: string }>();
  assert.equal(applies, 'the window open now and every one after it');
  assert.equal((await reference(b))?.origin, 'first_window');

  clock.now += 29_000;
  await chats(b, 60);
  await sleep(20);
  assert.equal((await reference(b))?.origin, 'first_window', 'its last read of the store is 29 s old');
  const drifted = (await b.app.inject({ url: '/admin/models/chat/quality' })).json<QualityReport>();
  assert.ok(drifted.features.some((feature) => feature.name === 'prompt_tokens' && feature.drifted));

  clock.now += 2_000;
  await chats(b, 60);
  for (let waited = 0; (await reference(b))?.origin !== 'pinned'; waited += 10) {
    assert.ok(waited < 2_000, 'the pin is read as the window closes');
    await sleep(10);
  }
  assert.deepEqual(await reference(b), pinned, 'the same pin: its source, time and key');
  const report = (await b.app.inject({ url: '/admin/models/chat/quality' })).json<QualityReport>();
  assert.deepEqual(report.reference, pinned);
  const prompt = report.features.find((feature) => feature.name === 'prompt_tokens');
  assert.equal(prompt?.drifted, false, 'the window of long prompts is tested against the pin of long prompts');
});
