/**
 * The reference drift is tested against. `POST /admin/models/{model}/reference` (scope
 * `admin`, audited) takes it from live traffic: a local model version's profile is captured
 * from a window's sampled rows and written beside the model, its fills from the reference
 * changing at once (src/quality/reference-capture.ts); a remote model's last closed window of
 * traffic is pinned and kept in the state store (src/quality/remote/pinned-reference.ts).
 * `GET /admin/models/{model}/reference` (scope `read`) says which reference is in force, where
 * it came from and when.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { QualityMonitors } from '../quality/quality-monitors.ts';
import type { TrafficMonitors } from '../quality/traffic-monitors.ts';
import { CAPTURE_WINDOWS, captureReference, type CaptureWindow } from '../quality/reference-capture.ts';
import { summaryOfProfile, type ReferenceSummary } from '../quality/reference-summary.ts';
import { pinLastClosedWindow, type ReferenceKeeper } from '../quality/remote/pinned-reference.ts';
import type { AuditEntry } from '../state/store.ts';

const CaptureSchema = z.strictObject({
  /** Default: the newest version, as elsewhere. */
  version: z.string().min(1).optional(),
  window: z.enum(CAPTURE_WINDOWS).default('last_closed'),
});

export interface ReferenceRouteDeps {
  readonly monitors: QualityMonitors;
  readonly traffic: TrafficMonitors;
  readonly models: ModelRegistry;
  readonly targets: TargetDirectory;
  readonly audit: { record(entry: AuditEntry): void; flush(): Promise<void> };
  /** Where remote models' pins are kept (the state store). */
  readonly references: ReferenceKeeper;
  readonly now: () => number;
  /** `quality.vocabulary_size`: a captured text field's vocabulary keeps at most this many tokens. */
  readonly vocabularySize: number;
}

interface Made {
  readonly model: { readonly name: string; readonly version: string };
  readonly window: CaptureWindow;
  readonly actor: string;
  readonly at: number;
}

export function registerReferenceRoutes(app: FastifyInstance, deps: ReferenceRouteDeps): void {
  app.post<{ Params: { model: string } }>(
    '/admin/models/:model/reference',
    { config: { protocol: 'admin' } },
    async (request, reply) => {
      const body = parse(request.body);
      const target = deps.targets.resolve(request.params.model, body.version);
      const made: Made = {
        model: { name: target.name, version: target.version },
        window: body.window,
        actor: request.caller?.key?.id ?? 'anonymous',
        at: deps.now(),
      };
      const local = isLocal(deps, made.model);
      const reference = local ? captureLocal(deps, made) : await pinRemote(deps, made);
      const details = {
        model: made.model.name,
        version: made.model.version,
        window: made.window,
        rows: reference.rows,
      };
      deps.audit.record({
        time: new Date(made.at).toISOString(),
        actor: made.actor,
        action: 'quality.reference.capture',
        tenant: null,
        details,
      });
      await deps.audit.flush();
      // A local window open keeps the reference it opened with; a remote one's prompts are counted against the pin from now.
      const applies = local ? 'every window opened after this one' : 'the window open now and every one after it';
      return reply.code(201).send({ ...details, source: reference.source, reference, applies_to: applies });
    },
  );

  app.get<{ Params: { model: string }; Querystring: { version?: string } }>(
    '/admin/models/:model/reference',
    { config: { protocol: 'admin' } },
    async (request) => {
      const target = deps.targets.resolve(request.params.model, request.query.version);
      const model = { name: target.name, version: target.version };
      const reference = isLocal(deps, model)
        ? deps.monitors.monitor(model.name, model.version)?.referenceSummary()
        : deps.traffic.remoteMonitor(model.name)?.referenceSummary();
      if (reference === undefined) throw unsupported(model.name);
      return { model: model.name, version: model.version, reference };
    },
  );
}

function isLocal(deps: ReferenceRouteDeps, model: Made['model']): boolean {
  return deps.models.versionsOf(model.name)?.some((served) => served.spec.version === model.version) ?? false;
}

/** A local model version's profile from a window's sampled rows, written beside it; its fills change with it. */
function captureLocal(deps: ReferenceRouteDeps, made: Made): ReferenceSummary {
  const { model } = made;
  const local = deps.models.versionsOf(model.name)?.find((served) => served.spec.version === model.version);
  const { profile } = captureReference({
    model,
    monitor: deps.monitors.monitor(model.name, model.version),
    modelDir: local?.dir ?? '',
    window: made.window,
    actor: made.actor,
    at: made.at,
    vocabularySize: deps.vocabularySize,
    ...(local === undefined ? {} : { fillsFrom: (next) => local.fillsFrom(next) }),
  });
  return summaryOfProfile(profile);
}

/** A remote model's reference is a whole closed window of its traffic, kept in the state store, then in force. */
async function pinRemote(deps: ReferenceRouteDeps, made: Made): Promise<ReferenceSummary> {
  const { name } = made.model;
  const monitor = deps.traffic.remoteMonitor(name);
  if (monitor === undefined) throw unsupported(name);
  if (made.window !== 'last_closed') {
    throw new SluiceError(
      'ERR_ADMIN_INVALID',
      `window: model "${name}" is remote, and a remote model's reference is a closed window ("last_closed")`,
      { field: 'window' },
    );
  }
  const summary = await pinLastClosedWindow(monitor, deps.references, made.actor, made.at);
  if (summary === undefined) {
    throw new SluiceError(
      'ERR_QUALITY_WINDOW_EMPTY',
      `model "${name}": no window has closed yet (a window closes after quality.window_items requests or quality.window_seconds)`,
      { field: 'window' },
    );
  }
  return summary;
}

function unsupported(name: string): SluiceError {
  return new SluiceError(
    'ERR_MODEL_UNSUPPORTED_OPERATION',
    `model "${name}" is neither a local model nor a watched remote one: it has no reference drift is tested against`,
    { field: 'model' },
  );
}

/** A bad body is refused naming the field: an unknown one by its name, a bad value by its path. */
function parse(body: unknown): z.infer<typeof CaptureSchema> {
  const result = CaptureSchema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const unknown = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = unknown ?? issue?.path.join('.') ?? '';
  throw new SluiceError('ERR_ADMIN_INVALID', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, { field });
}
