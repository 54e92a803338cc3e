/**
 * The admission gate on fastify: an `onRequest` hook on inference routes, which runs after
 * the headers are parsed and before the body is read. A refused request goes down the
 * server's error path (`done(error)` → the error handler → the route's envelope, with
 * `Retry-After`); its body is never read, and Node discards it so the keep-alive connection
 * serves the next request. Nothing here reads a body, not even to find the model.
 *
 * Requests from the HTTP server were already screened before fastify saw them
 * (raw-admission.ts) and arrive with their ticket; injected ones are admitted here.
 *
 *   onRequest  ─► gate.admit(tenant) ─► refused: sluice_shed_total{reason="overloaded"}, 429
 *                              └► ticket on the request
 *              (remote-only routes: gate.admitWithoutLimit(), the loop lag guard alone)
 *   onResponse ─► ticket.finish(status)
 *   close      ─► ticket.abandon()   (the client left first: no response, no onResponse)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LimitChangeReason } from '../control/adaptive-limit.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';
import type { Config } from '../config/schema.ts';
import { AdmissionGate, refusalError, type AdmissionTicket } from '../control/gate/admission-gate.ts';
import { gateTenant, refusedModel, type ModelResolver } from '../control/gate/refusal-labels.ts';
import { startLoopProbe } from '../control/gate/loop-probe.ts';
import { startGcPauseMeter } from '../control/gate/gc-pauses.ts';
import { RawAdmission } from './admission-screen.ts';

declare module 'fastify' {
  interface FastifyRequest {
    admission: AdmissionTicket | null;
  }
}

/** The `admission` section of the configuration. */
export type AdmissionSettings = Config['admission'];

export interface AdmissionDeps {
  /** Names the refused request's model in the metrics, when it is served. */
  readonly models: ModelResolver;
  readonly tenants: TenantDirectory;
  readonly metrics: Metrics;
  readonly onLimitChange?: (limit: number, previous: number, reason: LimitChangeReason) => void;
}

/** The server-wide gate, and the screen its HTTP server runs before fastify. */
export interface Admission {
  readonly gate: AdmissionGate;
  readonly screen: RawAdmission;
}

/**
 * Registers the gate on `app` and returns it with the screen its HTTP server should run
 * first; other transports (gRPC) take their permits from the same gate. Requests injected
 * in-process (tests) skip the HTTP server and meet the gate in the hook.
 */
export function registerAdmissionGate(
  app: FastifyInstance,
  settings: AdmissionSettings,
  deps: AdmissionDeps,
): Admission {
  // Garbage collection stalls the loop without any backlog of requests: the guard discounts it.
  const gcPauses = settings.loop_lag.enabled ? startGcPauseMeter() : undefined;
  const gate = new AdmissionGate({
    initialLimit: settings.initial_limit,
    minLimit: settings.min_limit,
    maxLimit: settings.max_limit,
    burstMs: settings.burst_ms,
    loopLag:
      gcPauses === undefined
        ? false
        : {
            targetMs: settings.loop_lag.target_ms,
            intervalMs: settings.loop_lag.interval_ms,
            gcMs: () => gcPauses.readMs(),
          },
    ...(deps.onLimitChange === undefined ? {} : { onLimitChange: deps.onLimitChange }),
  });
  const probe = gate.probeTickMs === undefined ? undefined : startLoopProbe(() => gate.loopTurned(), gate.probeTickMs);
  deps.metrics.watchAdmission(gate);
  const screen = new RawAdmission(gate, deps);
  app.decorateRequest('admission', null);
  // Callback style, not async: no promise and no extra microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.inference !== true) return done();
    const screened = screen.ticketOf(request.raw);
    if (screened !== undefined) {
      request.admission = screened;
      return done();
    }
    const remoteOnly = request.routeOptions.config.remoteOnly === true;
    const tenant = gateTenant(deps.tenants, request.headers);
    const verdict = remoteOnly ? gate.admitWithoutLimit() : gate.admit(tenant);
    if (!verdict.admitted) {
      deps.metrics.shed.inc({
        ...refusedModel(deps.models, paramOf(request, 'model'), paramOf(request, 'version')),
        reason: 'overloaded',
        tenant: tenant.name,
      });
      return done(refusalError(verdict.error));
    }
    // It holds no permit: no ticket to keep, and no listener to release one.
    if (remoteOnly) return done();
    request.admission = verdict.ticket;
    abandonWhenClosedEarly(reply, verdict.ticket);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.admission?.finish(reply.statusCode);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    probe?.stop();
    gcPauses?.stop();
    done();
  });
  return { gate, screen };
}

/**
 * Fastify runs onResponse when the response finishes, which a response to a client that
 * has gone never does; without this its permit would be held for good. After a normal
 * finish `close` follows it (and the ticket ignores a second release anyway), but may come
 * before onResponse hooks queued behind an async one, so a finished response is left to them.
 */
function abandonWhenClosedEarly(reply: FastifyReply, ticket: AdmissionTicket): void {
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ticket.abandon();
  });
}

/** A route parameter, when the route has it (KServe names the model in the URL; OpenAI in the body, which is not read). */
function paramOf(request: FastifyRequest, name: 'model' | 'version'): string | undefined {
  const params = request.params;
  if (typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
