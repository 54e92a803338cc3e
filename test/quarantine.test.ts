/**
 * The quarantine of rejected payloads end to end, on a real server: requests refused for
 * their data (a local model's items, an OpenAI body to a remote model) are kept redacted,
 * listed by the admin API newest first with their failures, in pages, within the bound per
 * model and their time to live (a wall clock the test moves), counted in /metrics, and cleared
 * (audited). Requests answered, or refused for other reasons, are not kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startFakeUpstream, fakeBackendConfig, type FakeUpstream } from './support/fake-upstream.ts';
import { startTestSluice } from './support/server.ts';

interface Entry {
  id: number;
  model: string;
  version: string;
  time: string;
  code: string;
  failures: Array<{ item: number | null; field: string; rule: string }>;
  failures_total: number;
  payload: Record<string, unknown>;
}
interface Listing {
  model: string;
  entries: Entry[];
  next_before: number | null;
}

const GOOD = { age: 29, lead_time_days: 25, prior_no_shows: 0, reminder_sent: true, weekday: 'wed', channel: 'phone' };
const START = Date.UTC(2026, 2, 1, 9);
const SECOND = 1000;
const HOUR = 3600 * SECOND;

let sluice: Sluice;
let upstream: FakeUpstream;
let now = START;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await startTestSluice({
    config: {
      quality: { quarantine: { max_per_model: 5, ttl_hours: 1 } },
      backends: [fakeBackendConfig([upstream])],
    },
    wallClock: () => now,
  });
});

after(async () => {
  await sluice.close();
  await upstream.close();
});

/** A refused request for noshow-risk: item 1 carries an unknown field holding an e-mail address and a bad age. */
async function refuse(n: number): Promise<void> {
  const instances = [GOOD, { ...GOOD, age: 400 + n, contact: `jane.doe${n}@example.com` }];
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v1/models/noshow-risk:predict',
    payload: { instances },
  });
  assert.equal(response.statusCode, 400, response.body);
}

async function list(model: string, query = ''): Promise<Listing> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quarantine${query}` });
  assert.equal(response.statusCode, 200, response.body);
  assert.doesNotMatch(response.body, /jane\.doe|@example\.com/, 'no e-mail address is listed');
  return response.json<Listing>();
}

const ages = (listing: Listing) =>
  listing.entries.map((entry) => (entry.payload['instances'] as Array<{ age: number }>)[1]?.age);

describe('the quarantine of rejected payloads', () => {
  test('keeps refused requests redacted, with their failures, newest first; answered ones are not kept', async () => {
    for (let n = 0; n < 3; n++) {
      await refuse(n);
      now += SECOND;
    }
    const answered = await sluice.app.inject({
      method: 'POST',
      url: '/v1/models/noshow-risk:predict',
      payload: { instances: [GOOD] },
    });
    assert.equal(answered.statusCode, 200);
    const listing = await list('noshow-risk');
    assert.deepEqual(ages(listing), [402, 401, 400]);
    const [newest] = listing.entries;
    assert.deepEqual(
      { ...newest, id: typeof newest?.id },
      {
        id: 'number',
        model: 'noshow-risk',
        version: '1',
        time: new Date(START + 2 * SECOND).toISOString(),
        code: 'ERR_REQUEST_INVALID',
        failures: [
          { item: 1, field: 'instances[1].contact', rule: 'unknown field "contact"' },
          { item: 1, field: 'instances[1].age', rule: 'must be <= 120' },
        ],
        failures_total: 2,
        payload: { instances: [GOOD, { ...GOOD, age: 402, contact: '[REDACTED:email]' }] },
      },
    );
  });

  test('pages back with before=next_before, and refuses a bad query naming the parameter', async () => {
    const first = await list('noshow-risk', '?limit=2');
    assert.deepEqual(ages(first), [402, 401]);
    assert.equal(first.next_before, first.entries[1]?.id);
    const second = await list('noshow-risk', `?limit=2&before=${first.next_before}`);
    assert.deepEqual(ages(second), [400]);
    assert.equal(second.next_before, null);
    assert.deepEqual(ages(await list('noshow-risk', '?version=1')), [402, 401, 400]);
    assert.deepEqual(ages(await list('noshow-risk', '?version=2')), []);
    for (const [query, param] of [
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?before=x', 'before'],
      ['?colour=red', 'colour'],
      ['?version=', 'version'],
    ]) {
      const response = await sluice.app.inject({ url: `/admin/models/noshow-risk/quarantine${query}` });
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.json<{ error: { param: string } }>().error.param, param, query);
      assert.equal(response.headers['x-sluice-error-code'], 'ERR_ADMIN_INVALID');
    }
    const unknown = await sluice.app.inject({ url: '/admin/models/nope/quarantine' });
    assert.equal(unknown.statusCode, 404);
  });

  test('keeps an OpenAI body refused before it went upstream, redacted, for the remote model', async () => {
    const chats = upstream.chats();
    const refused = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'chat',
        temperature: 7,
        messages: [{ role: 'user', content: 'write to jane.doe@example.com' }],
      },
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(upstream.chats(), chats, 'nothing went upstream');
    const [entry] = (await list('chat')).entries;
    assert.deepEqual(entry?.failures, [
      { item: null, field: 'temperature', rule: 'must be a number from 0 to 2, got 7' },
    ]);
    assert.deepEqual(entry?.payload['messages'], [{ role: 'user', content: 'write to [REDACTED:email]' }]);
  });

  test('keeps at most max_per_model, and never lists an entry past its time to live', async () => {
    now = START + 10 * SECOND;
    for (let n = 3; n < 7; n++) {
      await refuse(n);
      now += SECOND;
    }
    assert.deepEqual(ages(await list('noshow-risk')), [406, 405, 404, 403, 402], 'the 5 newest');
    now = START + HOUR + 5 * SECOND;
    assert.deepEqual(ages(await list('noshow-risk')), [406, 405, 404, 403], 'the one an hour old expired');
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /sluice_quality_quarantined_total\{model="noshow-risk"\} 7/);
    assert.match(metrics, /sluice_quality_quarantined_total\{model="chat"\} 1/);
  });

  test('clears a model’s quarantine, in the audit log', async () => {
    const chat = { model: 'chat', temperature: 9, messages: [{ role: 'user', content: 'hi' }] };
    await sluice.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat });
    const cleared = await sluice.app.inject({ method: 'DELETE', url: '/admin/models/noshow-risk/quarantine' });
    assert.equal(cleared.statusCode, 200, cleared.body);
    assert.deepEqual(cleared.json(), { model: 'noshow-risk', version: null, deleted: 5 });
    assert.deepEqual((await list('noshow-risk')).entries, []);
    assert.equal((await list('chat')).entries.length, 1, 'another model keeps its own');
    const audit = await sluice.app.inject({ url: '/admin/audit?action=quality.quarantine.clear' });
    const records = audit.json<{ records: Array<{ actor: string; details: Record<string, unknown> }> }>().records;
    assert.deepEqual(
      records.map((record) => [record.actor, record.details]),
      [['anonymous', { model: 'noshow-risk', version: null, deleted: 5 }]],
    );
  });
});
