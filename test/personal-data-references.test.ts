/**
 * References made of live traffic keep no identifier: a remote model's prompts and a local
 * text model's texts are the corpus of patients' messages (its examples holding identifiers),
 * twice, a window each; the remote model's last window is pinned (into the SQLite state
 * file) and the local one's captured (into its reference-profile.json). Neither file holds a
 * token of an identifier that has a digit, nor one that fewer than five of the texts hold:
 * a vocabulary made of traffic keeps only words five texts share, none with a digit or an @.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { PROFILE_FILE } from '../src/quality/reference-profile.ts';
import { tokenize } from '../src/quality/sketches/text-summary.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import type { Store } from '../src/state/store.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';
import { simChatBackends } from './support/sim-chat.ts';

interface Example {
  readonly text: string;
  readonly spans: ReadonlyArray<{ kind: string; text: string }>;
}

const EXAMPLES: readonly Example[] = readFileSync(
  new URL('../src/observe/redact/corpus/pii-corpus.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Example)
  .filter((example) => example.spans.length > 0);

let sim: Simulator;
let directory: string;
let repository: string;
let sluice: Sluice;
let store: Store;

before(async () => {
  sim = await startSimulator({ port: 0, seed: 3, latency: { prefillMs: 0, prefillPerTokenMs: 0, decodeMs: 0 } });
  directory = mkdtempSync(join(tmpdir(), 'sluice-personal-references-'));
  repository = await repositoryWith('triage-small', () => undefined);
  sluice = await startTestSluice({
    repository,
    store: (store = openSqliteStore(join(directory, 'sluice.db'))),
    config: {
      backends: simChatBackends(sim.url),
      quality: { window_items: EXAMPLES.length, window_seconds: 3600 },
    },
  });
});

after(async () => {
  await sluice.close();
  await sim.close();
  rmSync(directory, { recursive: true, force: true });
  rmSync(repository, { recursive: true, force: true });
});

/** One window of each model: every example as a chat's prompt, and as a text to classify. */
async function corpusWindow(): Promise<void> {
  for (const { text } of EXAMPLES) {
    const chat = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'chat', messages: [{ role: 'user', content: text }], max_tokens: 4 },
    });
    assert.equal(chat.statusCode, 200, chat.body);
    const local = await sluice.app.inject({
      method: 'POST',
      url: '/v1/models/triage-small:predict',
      payload: { instances: [text] },
    });
    assert.equal(local.statusCode, 200, local.body);
  }
}

/** The identifiers' tokens a vocabulary of this traffic must not keep: those with a digit, and those fewer than five examples hold. */
function identifyingTokens(): Set<string> {
  const holders = new Map<string, number>();
  for (const { text } of EXAMPLES)
    for (const token of new Set(tokenize(text))) holders.set(token, (holders.get(token) ?? 0) + 1);
  const tokens = EXAMPLES.flatMap((example) => example.spans.flatMap((span) => tokenize(span.text)));
  return new Set(tokens.filter((token) => /\p{N}/u.test(token) || (holders.get(token) ?? 0) < 5));
}

test("a pinned remote reference and a captured local one keep no identifier's rare or numeric token", async () => {
  await corpusWindow();
  await corpusWindow();
  for (const model of ['chat', 'triage-small']) {
    const made = await sluice.app.inject({ method: 'POST', url: `/admin/models/${model}/reference`, payload: {} });
    assert.equal(made.statusCode, 201, made.body);
  }
  const pin = await store.getReference('chat', '1');
  const pinned = (pin?.profile as { text?: Record<string, { vocabulary: string[] }> }).text?.['prompt'];
  const profileFile = join(repository, 'triage-small', '1', PROFILE_FILE);
  const captured = JSON.parse(readFileSync(profileFile, 'utf8')) as { text?: Record<string, { vocabulary: string[] }> };
  const vocabularies = [pinned?.vocabulary ?? [], ...Object.values(captured.text ?? {}).map((text) => text.vocabulary)];
  assert.equal(vocabularies.length, 2, 'the pin and the capture each have a vocabulary');
  const identifying = identifyingTokens();
  assert.ok(identifying.size > 300, `the corpus's identifiers give ${identifying.size} such tokens`);
  for (const vocabulary of vocabularies) {
    assert.ok(vocabulary.length > 20, `words are kept: ${vocabulary.join(' ')}`);
    assert.deepEqual(
      vocabulary.filter((token) => identifying.has(token)),
      [],
      'tokens of identifiers in a vocabulary',
    );
  }
  const files = [
    ...readdirSync(directory)
      .filter((name) => name.startsWith('sluice.db'))
      .map((name) => join(directory, name)),
    profileFile,
  ];
  for (const file of files) {
    const bytes = readFileSync(file).toString('utf8');
    const spans = EXAMPLES.flatMap((example) => example.spans.map((span) => span.text));
    const leaks = [
      ...spans.filter((span) => span.length >= 6 && bytes.includes(span)),
      // Short ones ("1") are also a version's or a count's spelling.
      ...[...identifying].filter((token) => token.length >= 4 && bytes.includes(JSON.stringify(token))),
    ];
    assert.deepEqual(leaks, [], `identifiers or their tokens in ${file}`);
  }
});
