/**
 * A run with patients' personal data in the inputs, with every inference audited and the
 * logs at debug: no raw identifier of the corpus reaches the logs or the audit log, and no
 * API key reaches the database file or the logs in plain text.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { loadConfig } from '../src/config/load.ts';
import { createSluice, type Sluice } from '../src/http/server.ts';
import { createLogger } from '../src/observe/log.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import { defaultModelsDir } from './support/models.ts';
import { testKey } from './support/keys.ts';

interface Example {
  readonly text: string;
  readonly spans: ReadonlyArray<{ kind: string; text: string }>;
}

const CORPUS: readonly Example[] = readFileSync(
  new URL('../src/observe/redact/corpus/pii-corpus.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Example);
/** The examples with identifiers long enough to find verbatim without matching ordinary words. */
const WITH_IDENTIFIERS = CORPUS.filter((example) => example.spans.some((span) => span.text.length >= 6)).slice(0, 80);

const ADMIN = testKey({ scopes: ['admin'] });
const lines: string[] = [];
let directory: string;
let sluice: Sluice;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-personal-data-'));
  const repository = await defaultModelsDir();
  const config = loadConfig({
    env: {},
    overrides: {
      server: { host: '127.0.0.1', port: 0 },
      models: { repository, build_defaults: false },
      admission: { enabled: false },
      auth: { enabled: true },
      tenants: [{ name: 'ops', keys: [ADMIN.entry] }],
      audit: { inferences: 'all', flush_interval_ms: 10 },
      state: { directory },
      logging: { level: 'debug' },
    },
  });
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()),
  });
  const store = openSqliteStore(join(directory, 'sluice.db'));
  sluice = createSluice(config, createLogger(config, sink), { store });
  await sluice.openState();
  await sluice.models.loadRepository(repository);
});

after(async () => sluice.close());

test('inputs full of identifiers, and errors that echo them, leave none in the logs or the audit log; no key is stored or logged in plain text', async () => {
  const made = await sluice.app.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: ADMIN.bearer,
    payload: { tenant: 'ops', scopes: ['infer'] },
  });
  assert.equal(made.statusCode, 201, made.body);
  const { key } = made.json<{ key: string }>();
  const bearer = { authorization: `Bearer ${key}` };
  for (const [index, example] of WITH_IDENTIFIERS.entries()) {
    const ok = await sluice.app.inject({
      method: 'POST',
      url: '/v1/models/triage-small:predict',
      headers: bearer,
      payload: { instances: [example.text] },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    // Failures whose messages echo what the client sent: a model name, a bad instance, a wrong key.
    const identifier = example.spans[0]?.text ?? '';
    const echoes = [
      { url: `/v2/models/${encodeURIComponent(identifier)}/infer`, payload: { inputs: [] } },
      { url: '/v1/models/triage-small:predict', payload: { instances: [{ text: example.text, extra: identifier }] } },
      { url: '/v1/embeddings', payload: { model: 'embed', input: [example.text], user: identifier } },
    ];
    const echo = echoes[index % echoes.length] as { url: string; payload: object };
    await sluice.app.inject({ method: 'POST', url: echo.url, headers: bearer, payload: echo.payload });
    await sluice.app.inject({ method: 'POST', url: echo.url, headers: { 'x-api-key': identifier }, payload: {} });
  }
  await sluice.compliance.audit.flush();
  const audit = await sluice.app.inject({ url: '/admin/audit?limit=1000', headers: ADMIN.bearer });
  const inferences = audit.json<{ records: Array<{ action: string }> }>().records;
  assert.ok(inferences.filter((record) => record.action === 'inference').length >= WITH_IDENTIFIERS.length);

  const logs = lines.join('');
  for (const code of ['ERR_MODEL_NOT_FOUND', 'ERR_AUTH_INVALID_KEY', 'ERR_TENSOR_UNKNOWN_INPUT'])
    assert.ok(logs.includes(`"code":"${code}"`), `the failures were logged (${code})`);
  const leaks = WITH_IDENTIFIERS.flatMap((example) =>
    example.spans
      .filter((span) => span.text.length >= 6)
      .filter((span) => logs.includes(span.text) || audit.body.includes(span.text))
      .map((span) => `${span.kind}: ${span.text}`),
  );
  assert.deepEqual(leaks, [], 'identifiers found in the logs or the audit log');

  const secret = key.split('-').at(-1) as string;
  const files = readdirSync(directory).filter((name) => name.startsWith('sluice.db'));
  for (const file of files) {
    const bytes = readFileSync(join(directory, file)).toString('latin1');
    assert.equal(bytes.includes(secret), false, `the key's secret is in ${file}`);
  }
  assert.equal(logs.includes(secret), false, "the key's secret is in the logs");
});
