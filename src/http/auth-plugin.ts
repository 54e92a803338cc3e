/**
 * Authentication and authorization on every HTTP route: each route's access comes from the
 * one table (route-scopes.ts) when it is registered, and is checked before its body is
 * read, so a request without a good key costs no parsing and gets its 401 or 403 first.
 */
import type { FastifyInstance } from 'fastify';
import type { AccessControl, RouteAccess } from '../tenancy/access-control.ts';
import { ANONYMOUS, type Caller } from '../tenancy/tenant-directory.ts';
import { routeAccess } from './route-scopes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set from the route table at registration; undefined: not declared, so denied. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Who called, once authenticated (ANONYMOUS on public routes and with auth off); null before. */
    caller: Caller | null;
  }
}

/** Must be registered before any route; returns the routes registered with no access declared (each refused to everyone). */
export function registerAuth(app: FastifyInstance, access: AccessControl): ReadonlySet<string> {
  const undeclared = new Set<string>();
  app.decorateRequest('caller', null);
  app.addHook('onRoute', (route) => {
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    const declared = routeAccess(String(method), route.url);
    if (declared === undefined) undeclared.add(`${String(method)} ${route.url}`);
    route.config = { ...route.config, ...(declared === undefined ? {} : { access: declared }) };
  });
  app.addHook('onRequest', (request, _reply, done) => {
    request.caller = ANONYMOUS;
    if (request.is404) return done(); // no route: the 404 says so to anyone
    const { method, url } = request.routeOptions;
    try {
      request.caller = access.admit(request.routeOptions.config.access, request.headers, `${method} ${url}`);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
  return undeclared;
}
