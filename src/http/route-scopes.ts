/**
 * Every route and the scope a key needs to call it, in one table. A route missing from it
 * is refused to everyone (`ERR_AUTH_ROUTE_UNDECLARED`): adding a route means deciding who
 * may call it. Health stays public, for load balancers and Kubernetes probes.
 */
import type { RouteAccess } from '../tenancy/access-control.ts';

const V2_MODEL = ['/v2/models/:model', '/v2/models/:model/versions/:version'];

export const ROUTE_SCOPES: Readonly<Record<string, RouteAccess>> = {
  'GET /v2/health/live': 'public',
  'GET /v2/health/ready': 'public',
  'GET /v2': 'read',
  'GET /v2/models/stats': 'read',
  ...Object.fromEntries(
    V2_MODEL.flatMap((prefix) => [
      [`GET ${prefix}`, 'read'],
      [`GET ${prefix}/ready`, 'read'],
      [`GET ${prefix}/stats`, 'read'],
      [`POST ${prefix}/infer`, 'infer'],
    ]),
  ),
  'GET /v1/models': 'read',
  'GET /v1/models/:model': 'read',
  'POST /v1/models/:model(^[^:/]+)::predict': 'infer',
  'POST /v1/embeddings': 'infer',
  'POST /v1/chat/completions': 'infer',
  'POST /v1/completions': 'infer',
  'GET /metrics': 'metrics',
  'GET /admin/tenants': 'admin',
  'POST /admin/tenants': 'admin',
  'GET /admin/tenants/:name': 'admin',
  'DELETE /admin/tenants/:name': 'admin',
  'GET /admin/keys': 'admin',
  'POST /admin/keys': 'admin',
  'GET /admin/keys/:id': 'admin',
  'POST /admin/keys/:id/revoke': 'admin',
  'POST /admin/keys/:id/rotate': 'admin',
  'GET /admin/audit': 'admin',
  'GET /admin/audit/verify': 'admin',
  'GET /admin/usage': 'admin',
  // Redacted payloads are still clients' data: admin, not read.
  'GET /admin/models/:model/quarantine': 'admin',
  'DELETE /admin/models/:model/quarantine': 'admin',
  'POST /admin/models/:model/reference': 'admin',
  'GET /admin/models/:model/reference': 'read',
  'GET /admin/models/:model/quality': 'read',
};

/** The access a route declares; undefined: not in the table (denied). HEAD is GET's. */
export function routeAccess(method: string, url: string): RouteAccess | undefined {
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

/** The gRPC service's methods, by the same rule. */
export const GRPC_SCOPES: Readonly<Record<string, RouteAccess>> = {
  ServerLive: 'public',
  ServerReady: 'public',
  ModelReady: 'read',
  ServerMetadata: 'read',
  ModelMetadata: 'read',
  ModelInfer: 'infer',
};
