/**
 * Every route of every protocol and of the admin API, HTTP and gRPC, against every kind of
 * key: none, wrong, revoked, expired, a good key without the route's scope, and the right
 * scope. Revocation and rotation through the admin API apply to the very next request.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { GRPC_SCOPES, ROUTE_SCOPES } from '../src/http/route-scopes.ts';
import type { RouteAccess } from '../src/tenancy/access-control.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import { SCOPES, type Scope } from '../src/state/store.ts';
import { generateApiKey } from '../src/tenancy/api-keys.ts';
import { InferenceClient, textOf } from './support/grpc-client.ts';
import { testKey, type TestKey } from './support/keys.ts';
import { startTestSluice } from './support/server.ts';

const byScope = Object.fromEntries(SCOPES.map((scope) => [scope, testKey({ scopes: [scope] })])) as Record<
  Scope,
  TestKey
>;
const revoked = generateApiKey();
const expired = generateApiKey();
const victim = generateApiKey();
const stranger = generateApiKey();

let sluice: Sluice;
let grpc: InferenceClient;

before(async () => {
  const store = openSqliteStore(':memory:');
  const long = '2026-01-01T00:00:00.000Z';
  await store.createTenant({ name: 'clinic', priority: null, weight: 1, createdAt: long });
  const stored = (made: { id: string; hash: string }, extra: { revokedAt?: string; expiresAt?: string }) =>
    store.insertKey({
      id: made.id,
      tenant: 'clinic',
      scopes: [...SCOPES],
      models: null,
      hash: made.hash,
      createdAt: long,
      expiresAt: extra.expiresAt ?? null,
      revokedAt: extra.revokedAt ?? null,
    });
  await stored(revoked, { revokedAt: long });
  await stored(expired, { expiresAt: long });
  await stored(victim, {});
  sluice = await startTestSluice({
    store,
    config: {
      auth: { enabled: true },
      tenants: [{ name: 'ops', keys: Object.values(byScope).map((key) => key.entry) }],
    },
  });
  grpc = new InferenceClient(await sluice.startGrpc(0));
});

after(async () => {
  grpc.close();
  await sluice.close();
});

const V2_INFER = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['hi'] }] };
const BODIES: Readonly<Record<string, object>> = {
  'POST /v1/models/:model(^[^:/]+)::predict': { instances: ['hi'] },
  'POST /v1/embeddings': { model: 'embed', input: 'hi' },
  'POST /v1/chat/completions': { model: 'triage-small', messages: [{ role: 'user', content: 'hi' }] },
  'POST /v1/completions': { model: 'triage-small', prompt: 'hi' },
  'POST /v2/models/:model/infer': V2_INFER,
  'POST /v2/models/:model/versions/:version/infer': V2_INFER,
  'POST /admin/tenants': { name: 'made-by-matrix' },
  'POST /admin/keys': { tenant: 'clinic', scopes: ['infer'] },
  // A version that does not exist: the capture (404) never writes into the shared test models.
  'POST /admin/models/:model/reference': { version: 'absent' },
};

/** A concrete request for a route of the table. */
function requestFor(route: string): { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object } {
  const [method, pattern] = route.split(' ') as ['GET' | 'POST' | 'DELETE', string];
  const url = pattern
    .replace(':model(^[^:/]+)::predict', 'triage-small:predict')
    .replace(':model', 'triage-small')
    .replace(':version', '1')
    .replace(':name', 'nobody')
    .replace(':id', victim.id);
  const payload = BODIES[route];
  return { method, url, ...(payload === undefined ? {} : { payload }) };
}

const otherScope = (scope: Scope): Scope => (scope === 'read' ? 'infer' : 'read');

interface Case {
  readonly name: string;
  readonly headers: (access: RouteAccess) => Record<string, string>;
  /** The status and code a non-public route answers; undefined: anything but 401 and 403. */
  readonly refusal?: { status: number; code: string };
}

const CASES: readonly Case[] = [
  { name: 'no key', headers: () => ({}), refusal: { status: 401, code: 'ERR_AUTH_MISSING_KEY' } },
  {
    name: 'a key sluice never made',
    headers: () => ({ authorization: `Bearer ${stranger.key}` }),
    refusal: { status: 401, code: 'ERR_AUTH_INVALID_KEY' },
  },
  {
    name: 'not a key at all',
    headers: () => ({ 'x-api-key': 'password123' }),
    refusal: { status: 401, code: 'ERR_AUTH_INVALID_KEY' },
  },
  {
    name: 'a revoked key',
    headers: () => ({ authorization: `Bearer ${revoked.key}` }),
    refusal: { status: 401, code: 'ERR_AUTH_KEY_REVOKED' },
  },
  {
    name: 'an expired key',
    headers: () => ({ authorization: `Bearer ${expired.key}` }),
    refusal: { status: 401, code: 'ERR_AUTH_KEY_EXPIRED' },
  },
  {
    name: 'a good key without the scope',
    headers: (access) => byScope[otherScope(access === 'public' ? 'infer' : access)].bearer,
    refusal: { status: 403, code: 'ERR_AUTH_SCOPE' },
  },
  { name: 'the right scope', headers: (access) => (access === 'public' ? {} : byScope[access].bearer) },
];

describe('HTTP: every route against every kind of key', () => {
  // Each table row below is answered 401 or 403, not 404, without a good key: the table names only routes that exist.
  test('every route the server registers is in the scope table', () => {
    assert.deepEqual([...sluice.compliance.undeclaredRoutes], []);
  });

  for (const [route, access] of Object.entries(ROUTE_SCOPES)) {
    test(`${route} (${access})`, async () => {
      for (const { name, headers, refusal } of CASES) {
        const response = await sluice.app.inject({ ...requestFor(route), headers: headers(access) });
        const said = `${name}: ${response.statusCode} ${response.body.slice(0, 200)}`;
        if (access === 'public' || refusal === undefined) {
          assert.ok(![401, 403].includes(response.statusCode), said);
        } else {
          assert.equal(response.statusCode, refusal.status, said);
          assert.equal(response.headers['x-sluice-error-code'], refusal.code, said);
        }
      }
    });
  }
});

describe('gRPC: every method against every kind of key', () => {
  const INFER = {
    model_name: 'triage-small',
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('hi')] } }],
  };
  const REQUESTS: Readonly<Record<string, object>> = {
    ModelReady: { name: 'triage-small' },
    ModelMetadata: { name: 'triage-small' },
    ModelInfer: INFER,
  };
  const GRPC_STATUS: Readonly<Record<number, status>> = { 401: status.UNAUTHENTICATED, 403: status.PERMISSION_DENIED };

  for (const [method, access] of Object.entries(GRPC_SCOPES)) {
    test(`${method} (${access})`, async () => {
      for (const { name, headers, refusal } of CASES) {
        const call = grpc.call(method, REQUESTS[method] ?? {}, { metadata: headers(access) });
        const outcome = await call.then(
          () => undefined,
          (error: ServiceError) => error,
        );
        if (access === 'public' || refusal === undefined) {
          assert.ok(
            outcome === undefined || ![status.UNAUTHENTICATED, status.PERMISSION_DENIED].includes(outcome.code),
            `${name}: ${outcome?.message}`,
          );
        } else {
          assert.equal(outcome?.code, GRPC_STATUS[refusal.status], `${name}: ${outcome?.message}`);
          assert.equal(textOf(outcome?.metadata ?? new Metadata())['x-sluice-error-code'], refusal.code, name);
        }
      }
    });
  }
});

describe('keys managed through the admin API', () => {
  const admin = () => byScope.admin.bearer;
  const predict = (key: string) =>
    sluice.app.inject({
      method: 'POST',
      url: '/v1/models/triage-small:predict',
      headers: { authorization: `Bearer ${key}` },
      payload: { instances: ['hi'] },
    });

  test('a key made by the admin API works at once; revoked, the next request is refused', async () => {
    const made = await sluice.app.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: admin(),
      payload: { tenant: 'clinic', scopes: ['infer'] },
    });
    assert.equal(made.statusCode, 201, made.body);
    const { key, id } = made.json<{ key: string; id: string }>();
    assert.match(key, /^sk-sluice-[a-z0-9]{10}-[A-Za-z0-9]{32}$/);
    assert.equal((await predict(key)).statusCode, 200);
    const revoke = await sluice.app.inject({ method: 'POST', url: `/admin/keys/${id}/revoke`, headers: admin() });
    assert.equal(revoke.statusCode, 200, revoke.body);
    assert.ok(revoke.json<{ revoked_at: string | null }>().revoked_at);
    const refused = await predict(key);
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_AUTH_KEY_REVOKED');
  });

  test('rotation: the new key works and the old one is refused on the next request', async () => {
    const made = await sluice.app.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: admin(),
      payload: { tenant: 'clinic', scopes: ['infer'], models: ['triage-small'] },
    });
    const old = made.json<{ key: string; id: string }>();
    const rotated = await sluice.app.inject({ method: 'POST', url: `/admin/keys/${old.id}/rotate`, headers: admin() });
    assert.equal(rotated.statusCode, 201, rotated.body);
    const fresh = rotated.json<{ key: string; id: string; models: string[]; replaces: string }>();
    assert.deepEqual([fresh.models, fresh.replaces], [['triage-small'], old.id]);
    assert.equal((await predict(fresh.key)).statusCode, 200);
    assert.equal((await predict(old.key)).statusCode, 401);
  });

  test("a key's model list: another model is 403, named", async () => {
    const made = await sluice.app.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: admin(),
      payload: { tenant: 'clinic', scopes: ['infer'], models: ['embed'] },
    });
    const refused = await predict(made.json<{ key: string }>().key);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_AUTH_MODEL_FORBIDDEN');
    assert.match(refused.body, /may not call model \\"triage-small\\"/);
  });

  test('malformed admin requests are 400 naming the field, and write nothing', async () => {
    const before = await sluice.app.inject({ url: '/admin/keys', headers: admin() });
    const cases: Array<[object, string]> = [
      [{ tenant: 'clinic', scopes: ['fly'] }, 'scopes.0'],
      [{ tenant: 'clinic' }, 'scopes'],
      [{ tenant: 'clinic', scopes: ['infer'], expires_at: 'tomorrow' }, 'expires_at'],
      [{ tenant: 'clinic', scopes: ['infer'], expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
      [{ tenant: 'clinic', scopes: ['infer'], color: 'red' }, ''],
    ];
    for (const [payload, field] of cases) {
      const response = await sluice.app.inject({ method: 'POST', url: '/admin/keys', headers: admin(), payload });
      assert.equal(response.statusCode, 400, JSON.stringify(payload));
      const error = response.json<{ error: { code: string; param: string | null; message: string } }>().error;
      assert.equal(error.code, 'err_admin_invalid');
      if (field !== '') assert.equal(error.param, field, error.message);
    }
    const unknownTenant = await sluice.app.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: admin(),
      payload: { tenant: 'nobody', scopes: ['infer'] },
    });
    assert.equal(unknownTenant.statusCode, 404);
    const afterwards = await sluice.app.inject({ url: '/admin/keys', headers: admin() });
    assert.deepEqual(afterwards.json(), before.json(), 'no key was written');
    const badQuery = await sluice.app.inject({ url: '/admin/audit?limit=0', headers: admin() });
    assert.equal(badQuery.statusCode, 400);
    assert.equal(badQuery.json<{ error: { param: string } }>().error.param, 'limit');
  });

  test('the audit log holds the admin actions and the failed authentications, with key ids, never secrets', async () => {
    await sluice.compliance.audit.flush();
    const page = await sluice.app.inject({ url: '/admin/audit?action=auth.failure&limit=1000', headers: admin() });
    const failures = page.json<{ records: Array<{ actor: string; details: { code: string; route: string } }> }>();
    assert.ok(
      failures.records.some((record) => record.actor === revoked.id && record.details.code === 'ERR_AUTH_KEY_REVOKED'),
    );
    assert.ok(failures.records.some((record) => record.details.route === 'grpc ModelInfer'));
    const created = await sluice.app.inject({ url: '/admin/audit?action=key.create', headers: admin() });
    const text = created.body + page.body;
    assert.ok(created.json<{ records: unknown[] }>().records.length >= 3);
    assert.equal(text.includes(revoked.key) || text.includes(stranger.key), false);
    assert.doesNotMatch(text, /sk-sluice-[a-z0-9]{10}-[A-Za-z0-9]{32}/);
    const verdict = await sluice.app.inject({ url: '/admin/audit/verify', headers: admin() });
    assert.equal(verdict.json<{ ok: boolean }>().ok, true, verdict.body);
  });
});
