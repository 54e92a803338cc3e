/**
 * `POST /admin/models/{model}/reference` (scope `admin`, audited): the reference drift is
 * tested against, taken from live traffic. A local model version's profile is captured from
 * a window's sampled rows and written beside the model (src/quality/reference-capture.ts); a
 * remote model's last closed window of traffic is pinned (src/quality/traffic-monitors.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { QualityMonitors } from '../quality/quality-monitors.ts';
import type { TrafficMonitors } from '../quality/traffic-monitors.ts';
import { CAPTURE_WINDOWS, captureReference } from '../quality/reference-capture.ts';
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
  readonly now: () => number;
  /** `quality.vocabulary_size`: a captured text field's vocabulary keeps at most this many tokens. */
  readonly vocabularySize: number;
}

export function registerReferenceRoutes(app: FastifyInstance, deps: ReferenceRouteDeps): void {
  app.post<{ Params: { model: string } }>(
    '/admin/models/:model/reference',
    { config: { protocol: 'admin' } },
    async (request, reply) => {
      const body = parse(request.body);
      const target = deps.targets.resolve(request.params.model, body.version);
      const model = { name: target.name, version: target.version };
      const local = deps.models.versionsOf(model.name)?.find((served) => served.spec.version === model.version);
      const actor = request.caller?.key?.id ?? 'anonymous';
      const at = deps.now();
      const profile =
        local === undefined && deps.traffic.watchesRemote(model.name)
          ? pinRemoteWindow(deps.traffic, model.name, body.window)
          : captureReference({
              model,
              // Neither local nor a watched remote model: refused, named, by the capture.
              monitor: local === undefined ? undefined : deps.monitors.monitor(model.name, model.version),
              modelDir: local?.dir ?? '',
              window: body.window,
              actor,
              at,
              vocabularySize: deps.vocabularySize,
            }).profile;
      const details = { model: model.name, version: model.version, window: body.window, rows: profile.rows };
      deps.audit.record({
        time: new Date(at).toISOString(),
        actor,
        action: 'quality.reference.capture',
        tenant: null,
        details,
      });
      await deps.audit.flush();
      const applies = 'every window opened after this one';
      return reply.code(201).send({ ...details, source: profile.source, applies_to: applies });
    },
  );
}

/** A remote model's reference is a whole closed window of its traffic, pinned in memory. */
function pinRemoteWindow(traffic: TrafficMonitors, name: string, window: string): { source: string; rows: number } {
  if (window !== 'last_closed') {
    throw new SluiceError(
      'ERR_ADMIN_INVALID',
      `window: model "${name}" is remote, and a remote model's reference is a closed window ("last_closed")`,
      { field: 'window' },
    );
  }
  const reference = traffic.pinReference(name);
  if (reference === null || reference === undefined) {
    throw new SluiceError(
      'ERR_QUALITY_WINDOW_EMPTY',
      `model "${name}": no window has closed yet (a window closes after quality.window_items requests or quality.window_seconds)`,
      { field: 'window' },
    );
  }
  return reference;
}

function parse(body: unknown): z.infer<typeof CaptureSchema> {
  const result = CaptureSchema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new SluiceError('ERR_ADMIN_INVALID', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, { field });
}
