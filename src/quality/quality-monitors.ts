/**
 * Data quality for every local model version, as a stage of the pipeline's observe slot:
 * an answered request's items and output rows feed its version's monitor, made on first
 * use from the model's spec (its features) and its reference profile.
 */
import type { PipelineStage } from '../pipeline/pipeline.ts';
import { embeddingOutputOf, featuresOf, textFieldsOf, type FeatureSpec } from './features.ts';
import { QualityMonitor, type QualityMonitorOptions, type QualityReport } from './quality-monitor.ts';
import type { ReferenceProfile } from './reference-profile.ts';
import type { ModelAdjustments } from '../pipeline/adjustments.ts';

/** What the local engine knows of a model version: its spec and reference profile. */
export interface MonitoredModel {
  readonly spec: FeatureSpec & { readonly name: string; readonly version: string };
  readonly reference: () => ReferenceProfile | undefined;
  /** `quality.partial_data.policy` of its model.yaml. */
  readonly partialDataPolicy?: string;
}

export interface QualityMonitorsOptions extends QualityMonitorOptions {
  /** The model version, when it is a local one sluice can read features of. */
  readonly modelOf: (name: string, version: string) => MonitoredModel | undefined;
  /** Hears what validation changed in an answered request, and the items a refused one lacked fields in (metrics). */
  readonly onAdjusted?: (adjustments: ModelAdjustments) => void;
}

export class QualityMonitors {
  private readonly monitors = new Map<string, QualityMonitor | null>();

  constructor(private readonly options: QualityMonitorsOptions) {}

  /** The observe-slot stage: a request answered with rows is observed; anything else costs one check. */
  readonly stage: PipelineStage = {
    name: 'quality',
    run: (context) => {
      const { answer, prepared } = context;
      if (answer?.kind !== 'rows' || prepared?.items === undefined) return;
      if (prepared.adjustments !== undefined) this.adjusted(prepared.adjustments);
      this.monitorOf(answer.provenance.model, answer.provenance.version)?.observe(prepared.items, answer.rows);
    },
    rejected: (context, failure) => {
      const { target } = context;
      if (failure.failures === undefined || target === undefined) return;
      const monitor = this.monitorOf(target.name, target.version);
      const items = monitor?.rejected(failure.failures) ?? 0;
      if (monitor === undefined || items === 0) return;
      const partial = { policy: monitor.partialDataPolicy, outcome: 'rejected' as const, items };
      this.options.onAdjusted?.({ model: target.name, version: target.version, fields: new Map(), partial });
    },
  };

  private adjusted(adjustments: readonly ModelAdjustments[]): void {
    for (const adjusted of adjustments) {
      this.monitorOf(adjusted.model, adjusted.version)?.adjusted(adjusted);
      this.options.onAdjusted?.(adjusted);
    }
  }

  /** The current report of a version, or undefined when sluice does not monitor it. */
  report(name: string, version: string): QualityReport | undefined {
    return this.monitorOf(name, version)?.report();
  }

  /** A version's monitor (a reference captured from its traffic), or undefined when sluice does not monitor it. */
  monitor(name: string, version: string): QualityMonitor | undefined {
    return this.monitorOf(name, version);
  }

  private monitorOf(name: string, version: string): QualityMonitor | undefined {
    const key = `${name}\u0000${version}`;
    let monitor = this.monitors.get(key);
    if (monitor === undefined) {
      const model = this.options.modelOf(name, version);
      monitor =
        model === undefined
          ? null
          : new QualityMonitor(
              { name, version },
              featuresOf(model.spec),
              model.reference(),
              this.options,
              model.partialDataPolicy,
              embeddingOutputOf(model.spec),
              textFieldsOf(model.spec),
            );
      this.monitors.set(key, monitor);
    }
    return monitor ?? undefined;
  }
}
