/**
 * The quarantine of rejected payloads on the HTTP edge: the quarantine over the state store
 * with its metrics and log lines, and its admin routes (scope `admin`: the payloads are
 * redacted, yet still clients' data), `GET` and `DELETE /admin/models/{model}/quarantine`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { SluiceError } from '../core/errors.ts';
import { onlyParameters, wholeParameter } from './admin-query.ts';
import { EMPTY_SLOTS, type PipelineSlots } from '../pipeline/pipeline.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import { Quarantine } from '../quality/quarantine/quarantine.ts';
import type { AuditEntry, QuarantineRecord, Store } from '../state/store.ts';

const HOUR_MS = 3_600_000;
const MAX_PAGE = 1000;

export function createQuarantine(
  config: Readonly<Config>,
  store: Store,
  registry: Registry,
  logger: Logger,
  now: () => number,
): Quarantine {
  const quarantined = new Counter({
    name: 'sluice_quality_quarantined_total',
    help: 'Requests refused for their data and kept in the quarantine (redacted), by model.',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'sluice_quality_quarantine_dropped_total',
    help: 'Refused requests not kept in the quarantine: buffer_full (refusals came faster than it writes), write_failed (the state store failed), closed.',
    labelNames: ['model', 'reason'] as const,
    registers: [registry],
  });
  const { max_per_model: maxPerModel, ttl_hours: ttlHours } = config.quality.quarantine;
  return new Quarantine({
    store,
    maxPerModel,
    ttlMs: ttlHours * HOUR_MS,
    now,
    onWritten: (model, count) => quarantined.inc({ model }, count),
    onDropped: (model, reason, count) => dropped.inc({ model, reason }, count),
    onError: (error) => logger.error({ err: error }, `quarantine: ${error.message}`),
  });
}

export interface QuarantineRouteDeps {
  readonly quarantine: Quarantine;
  readonly targets: TargetDirectory;
  readonly audit: { record(entry: AuditEntry): void; flush(): Promise<void> };
  readonly config: Readonly<Config>;
  readonly now: () => number;
}

type Route = { Params: { model: string }; Querystring: Record<string, string | undefined> };

export function registerQuarantineRoutes(app: FastifyInstance, deps: QuarantineRouteDeps): void {
  const config = { protocol: 'admin' as const };
  const { quarantine, targets } = deps;

  app.get<Route>('/admin/models/:model/quarantine', { config }, async (request) => {
    const model = targets.resolve(request.params.model).name;
    const page = pageOf(request.query);
    const entries = await stored(() => quarantine.list({ model, ...page }));
    const { max_per_model, ttl_hours } = deps.config.quality.quarantine;
    return {
      model,
      version: page.version ?? null,
      max_per_model,
      ttl_hours,
      entries: entries.map(entryView),
      next_before: entries.length === page.limit ? (entries.at(-1)?.id ?? null) : null,
    };
  });

  app.delete<Route>('/admin/models/:model/quarantine', { config }, async (request) => {
    const model = targets.resolve(request.params.model).name;
    const { version } = onlyParameters(request.query, ['version']);
    const deleted = await stored(() => quarantine.clear(model, version));
    const details = { model, version: version ?? null, deleted };
    deps.audit.record({
      time: new Date(deps.now()).toISOString(),
      actor: actorOf(request),
      action: 'quality.quarantine.clear',
      tenant: null,
      details,
    });
    await deps.audit.flush();
    return details;
  });
}

function pageOf(query: Record<string, string | undefined>): { version?: string; beforeId?: number; limit: number } {
  const { version, before, limit } = onlyParameters(query, ['version', 'before', 'limit']);
  return {
    ...(version === undefined ? {} : { version }),
    ...(before === undefined ? {} : { beforeId: wholeParameter('before', before, 1) }),
    limit: limit === undefined ? 100 : wholeParameter('limit', limit, 1, MAX_PAGE),
  };
}

async function stored<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new SluiceError('ERR_STORE_UNAVAILABLE', `the state store failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function actorOf(request: FastifyRequest): string {
  return request.caller?.key?.id ?? 'anonymous';
}

function entryView(record: QuarantineRecord) {
  const { id, model, version, time, code, failures, failuresTotal, payload } = record;
  return { id, model, version, time, code, failures, failures_total: failuresTotal, payload };
}

/** The quarantine's stage after any observe stages given, when it is on (its routes serve either way). */
export function withQuarantine(
  slots: PipelineSlots | undefined,
  quarantine: Quarantine | undefined,
  enabled: boolean,
): PipelineSlots | undefined {
  if (quarantine === undefined || !enabled) return slots;
  const base = slots ?? EMPTY_SLOTS;
  return { ...base, observe: [...base.observe, quarantine.stage] };
}
