/**
 * The admin API under /admin: tenants, keys and the audit log, JSON in and out, with the
 * `admin` scope (route-scopes.ts) and the same error envelope and codes as the rest.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidParameter, onlyParameters, wholeParameter } from './admin-query.ts';
import type { AuditQuery, AuditRecord } from '../state/store.ts';
import type { TenantAdmin } from '../tenancy/tenant-admin.ts';

export interface AdminDeps {
  readonly admin: TenantAdmin;
  readonly queryAudit: (query: AuditQuery) => Promise<AuditRecord[]>;
  /** Checks the whole chain: `{ ok: true, records }` or the first bad record. */
  readonly verifyAudit: () => Promise<Record<string, unknown>>;
}

const MAX_AUDIT_PAGE = 1000;

export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const config = { protocol: 'admin' as const };
  const { admin } = deps;
  const actor = (request: FastifyRequest) => request.caller?.key?.id ?? 'anonymous';
  type Named = { Params: { name: string } };
  type Identified = { Params: { id: string } };

  app.get('/admin/tenants', { config }, async () => ({ tenants: await admin.listTenants() }));
  app.post('/admin/tenants', { config }, async (request, reply) =>
    reply.code(201).send(await admin.createTenant(request.body, actor(request))),
  );
  app.get<Named>('/admin/tenants/:name', { config }, async (request) => admin.getTenant(request.params.name));
  app.delete<Named>('/admin/tenants/:name', { config }, async (request, reply) => {
    await admin.deleteTenant(request.params.name, actor(request));
    return reply.code(204).send();
  });

  app.get<{ Querystring: { tenant?: string } }>('/admin/keys', { config }, async (request) => ({
    keys: await admin.listKeys(request.query.tenant),
  }));
  app.post('/admin/keys', { config }, async (request, reply) => {
    const { key, record } = await admin.createKey(request.body, actor(request));
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...record, key });
  });
  app.get<Identified>('/admin/keys/:id', { config }, async (request) => admin.getKey(request.params.id));
  app.post<Identified>('/admin/keys/:id/revoke', { config }, async (request) =>
    admin.revokeKey(request.params.id, actor(request)),
  );
  app.post<Identified>('/admin/keys/:id/rotate', { config }, async (request, reply) => {
    const { key, record } = await admin.rotateKey(request.params.id, actor(request));
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...record, key, replaces: request.params.id });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/audit', { config }, async (request) => {
    const query = auditQuery(request.query);
    const records = await deps.queryAudit(query);
    const last = records.at(-1);
    return { records: records.map(recordView), next_after: records.length === query.limit ? last?.seq : null };
  });
  app.get('/admin/audit/verify', { config }, async () => deps.verifyAudit());
}

function auditQuery(query: Record<string, string | undefined>): AuditQuery {
  onlyParameters(query, ['from', 'to', 'actor', 'action', 'tenant', 'after', 'limit']);
  const time = (name: 'from' | 'to') => {
    const value = query[name];
    if (value !== undefined && Number.isNaN(Date.parse(value))) invalidParameter(name, 'an ISO 8601 time');
    return value === undefined ? {} : { [name]: new Date(value).toISOString() };
  };
  const text = (name: 'actor' | 'action' | 'tenant') => (query[name] === undefined ? {} : { [name]: query[name] });
  return {
    ...time('from'),
    ...time('to'),
    ...text('actor'),
    ...text('action'),
    ...text('tenant'),
    ...(query['after'] === undefined ? {} : { afterSeq: wholeParameter('after', query['after'], 0) }),
    limit: query['limit'] === undefined ? 100 : wholeParameter('limit', query['limit'], 1, MAX_AUDIT_PAGE),
  };
}

function recordView(record: AuditRecord) {
  const { seq, time, actor, action, tenant, details, prevHash, hash } = record;
  return { seq, time, actor, action, tenant, details, prev_hash: prevHash, hash };
}
