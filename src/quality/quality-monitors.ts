/**
 * Data quality for every local model version, as a stage of the pipeline's observe slot:
 * an answered request's items and output rows feed its version's monitor, made on first
 * use from the model's spec (its features) and its reference profile.
 */
import type { PipelineStage } from '../pipeline/pipeline.ts';
import { featuresOf, type FeatureSpec } from './features.ts';
import { QualityMonitor, type QualityMonitorOptions, type QualityReport } from './quality-monitor.ts';
import type { ReferenceProfile } from './reference-profile.ts';

/** What the local engine knows of a model version: its spec and reference profile. */
export interface MonitoredModel {
  readonly spec: FeatureSpec & { readonly name: string; readonly version: string };
  readonly reference: () => ReferenceProfile | undefined;
}

export interface QualityMonitorsOptions extends QualityMonitorOptions {
  /** The model version, when it is a local one sluice can read features of. */
  readonly modelOf: (name: string, version: string) => MonitoredModel | undefined;
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
      this.monitorOf(answer.provenance.model, answer.provenance.version)?.observe(prepared.items, answer.rows);
    },
    rejected: (context, failure) => {
      const { target } = context;
      if (failure.failures === undefined || target === undefined) return;
      this.monitorOf(target.name, target.version)?.rejected(failure.failures);
    },
  };

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
          : new QualityMonitor({ name, version }, featuresOf(model.spec), model.reference(), this.options);
      this.monitors.set(key, monitor);
    }
    return monitor ?? undefined;
  }
}
