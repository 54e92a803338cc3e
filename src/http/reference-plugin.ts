/**
 * `POST /admin/models/{model}/reference` (scope `admin`, audited): a local model version's
 * reference profile captured from a window of its live traffic (src/quality/reference-capture.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { QualityMonitors } from '../quality/quality-monitors.ts';
import { CAPTURE_WINDOWS, captureReference } from '../quality/reference-capture.ts';
import type { AuditEntry } from '../state/store.ts';

const CaptureSchema = z.strictObject({
  /** Default: the newest version, as elsewhere. */
  version: z.string().min(1).optional(),
  window: z.enum(CAPTURE_WINDOWS).default('last_closed'),
});

export interface ReferenceRouteDeps {
  readonly monitors: QualityMonitors;
  readonly models: ModelRegistry;
  readonly targets: TargetDirectory;
  readonly audit: { record(entry: AuditEntry): void; flush(): Promise<void> };
  readonly now: () => number;
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
      const { profile } = captureReference({
        model,
        // A remote model has no local directory and no monitor: refused, named, by the capture.
        monitor: local === undefined ? undefined : deps.monitors.monitor(model.name, model.version),
        modelDir: local?.dir ?? '',
        window: body.window,
        actor,
        at,
      });
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

function parse(body: unknown): z.infer<typeof CaptureSchema> {
  const result = CaptureSchema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new SluiceError('ERR_ADMIN_INVALID', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, { field });
}
