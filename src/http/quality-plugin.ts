/**
 * Data quality on the HTTP edge: the monitors of every local model version (fed by the
 * pipeline's observe slot), their report at `GET /admin/models/{model}/quality` (scope
 * `read`), their statistics and flags in /metrics, and one log line when a flag turns on
 * or off.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { FeatureDrift } from '../quality/drift.ts';
import { isOovDrift } from '../quality/oov-drift.ts';
import { QualityMonitors } from '../quality/quality-monitors.ts';
import type { QualityMonitorOptions } from '../quality/quality-monitor.ts';
import type { TrafficMonitors } from '../quality/traffic-monitors.ts';
import { readProfile } from '../quality/reference-profile.ts';
import { adjustmentExporter } from './adjustment-metrics.ts';

export function createQualityMonitors(
  config: Readonly<Config>,
  models: ModelRegistry,
  registry: Registry,
  logger: Logger,
  onWindowClosed = qualityExporter(registry, logger),
): QualityMonitors {
  return new QualityMonitors({
    windowItems: config.quality.window_items,
    windowMs: config.quality.window_seconds * 1000,
    samplePerSecond: config.quality.sample_per_second,
    now: Date.now,
    modelOf: (name, version) => {
      const model = models.versionsOf(name)?.find((candidate) => candidate.spec.version === version);
      if (model === undefined) return undefined;
      const partialDataPolicy = model.spec.quality.partial_data.policy;
      return { spec: model.spec, reference: () => referenceOf(model.dir, logger), partialDataPolicy };
    },
    onWindowClosed,
    onAdjusted: adjustmentExporter(registry),
  });
}

/** A closed window's figures into /metrics and the log: the gauges local and remote models share. */
export function qualityExporter(
  registry: Registry,
  logger: Logger,
): NonNullable<QualityMonitorOptions['onWindowClosed']> {
  const labels = ['model', 'version', 'feature'] as const;
  const drifted = new Gauge({
    name: 'sluice_quality_feature_drift',
    help: 'Whether the feature drifted from its reference in the last closed window (1) or not (0).',
    labelNames: labels,
    registers: [registry],
  });
  const statistic = new Gauge({
    name: 'sluice_quality_feature_statistic',
    help: "The drift test's statistic for the feature in the last closed window (p-value or distance: see the report).",
    labelNames: labels,
    registers: [registry],
  });
  const schemaRate = new Gauge({
    name: 'sluice_quality_schema_failure_rate',
    help: "Share of the last closed window's items whose field broke its rule (missing, unknown, null, a wrong type, out of range, a new category, another rule) or was missing and filled in.",
    labelNames: ['model', 'version', 'field'] as const,
    registers: [registry],
  });
  const schemaFlagged = new Gauge({
    name: 'sluice_quality_schema_flagged',
    help: "Whether the field's rate in the last closed window was above its band from the reference (1) or not (0).",
    labelNames: ['model', 'version', 'field'] as const,
    registers: [registry],
  });
  /** Per model version, the fields its last window reported: one that stops failing goes back to 0. */
  const schemaFields = new Map<string, ReadonlySet<string>>();
  const oovRate = new Gauge({
    name: 'sluice_quality_text_oov_rate',
    help: "Share of the last closed window's tokens of a text field outside its reference's vocabulary (feature <field>.oov_rate).",
    labelNames: labels,
    registers: [registry],
  });
  const dataset = new Gauge({
    name: 'sluice_quality_dataset_drift_share',
    help: 'Share of the features that drifted in the last closed window (dataset drift at 0.5 or more).',
    labelNames: ['model', 'version'] as const,
    registers: [registry],
  });
  return (model, drift, changed, schema) => {
    const key = `${model.name}\u0000${model.version}`;
    const reported = new Set(schema.fields.map((field) => field.field));
    for (const field of schemaFields.get(key) ?? []) {
      if (reported.has(field)) continue;
      schemaRate.set({ model: model.name, version: model.version, field }, 0);
      schemaFlagged.set({ model: model.name, version: model.version, field }, 0);
    }
    schemaFields.set(key, new Set([...(schemaFields.get(key) ?? []), ...reported]));
    for (const field of schema.fields) {
      schemaRate.set({ model: model.name, version: model.version, field: field.field }, field.rate);
      schemaFlagged.set({ model: model.name, version: model.version, field: field.field }, field.flagged ? 1 : 0);
      if (field.flagged)
        logger.warn(
          { model: model.name, version: model.version, ...field },
          `schema drift: ${model.name}:${model.version} field "${field.field}" broke its rule in ${(field.rate * 100).toFixed(1)}% of the items`,
        );
    }
    for (const feature of drift) {
      const at = { model: model.name, version: model.version, feature: feature.name };
      drifted.set(at, feature.drifted ? 1 : 0);
      statistic.set(at, feature.p_value ?? feature.statistic);
      if (isOovDrift(feature)) oovRate.set(at, feature.rate);
    }
    const share = drift.length === 0 ? 0 : drift.filter((feature) => feature.drifted).length / drift.length;
    dataset.set({ model: model.name, version: model.version }, share);
    for (const feature of changed) logDriftChange(logger, model, feature);
  };
}

function referenceOf(dir: string, logger: Logger) {
  try {
    return readProfile(dir);
  } catch (error) {
    logger.warn({ err: error }, `data quality: the reference profile in ${dir} cannot be read; drift is not tested`);
    return undefined;
  }
}

function logDriftChange(logger: Logger, model: { name: string; version: string }, feature: FeatureDrift): void {
  const fields = { model: model.name, version: model.version, ...feature };
  if (feature.drifted)
    logger.warn(fields, `data drift: ${model.name}:${model.version} feature "${feature.name}" drifted`);
  else
    logger.info(
      fields,
      `data drift: ${model.name}:${model.version} feature "${feature.name}" is back within its reference`,
    );
}

export function registerQualityRoutes(
  app: FastifyInstance,
  monitors: QualityMonitors,
  targets: TargetDirectory,
  traffic?: TrafficMonitors,
): void {
  app.get<{ Params: { model: string }; Querystring: { version?: string } }>(
    '/admin/models/:model/quality',
    { config: { protocol: 'admin' } },
    async (request) => {
      const target = targets.resolve(request.params.model, request.query.version);
      const report = monitors.report(target.name, target.version) ?? traffic?.report(target.name);
      if (report === undefined) {
        throw new SluiceError(
          'ERR_MODEL_UNSUPPORTED_OPERATION',
          `model "${target.name}" is not monitored: data quality watches local models and remote OpenAI-compatible models`,
          { field: 'model' },
        );
      }
      return { ...report, segments: traffic?.segments(target.name) ?? [] };
    },
  );
}
