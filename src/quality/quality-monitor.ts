/**
 * Data quality of one model version, online: each answered request's items and outputs
 * go into the current window's sketches; a window closes after `windowItems` items or
 * `windowMs`, and its features are tested against the version's reference profile with
 * Evidently's default tests (drift.ts), its text fields' out-of-vocabulary rates against the
 * reference's (oov-drift.ts). A flag that turns on or off is reported once.
 */
import type { Row } from '../core/tensors.ts';
import type { Item } from '../pipeline/request.ts';
import { compareFeature, datasetDrift, type FeatureDrift } from './drift.ts';
import { embeddingDrift } from './embedding-drift.ts';
import { embeddingReferenceOf, type EmbeddingReference } from './embedding-reference.ts';
import { EmbeddingWindow } from './embedding-window.ts';
import { addValue, newWindow, windowCount, type FeatureWindow } from './feature-window.ts';
import type { Feature, FeatureValue } from './features.ts';
import { MAX_REFERENCE_ROWS, type ReferenceProfile } from './reference-profile.ts';
import { summaryOfProfile, type ReferenceSummary } from './reference-summary.ts';
import { RowSample } from './row-sample.ts';
import { RateSampler } from './rate-sampler.ts';
import type { RequestFailure } from '../core/errors.ts';
import { SchemaCounters, type SchemaReport } from './schema-counters.ts';
import { AdjustmentCounters, type AdjustmentsReport } from './adjustment-counters.ts';
import type { ModelAdjustments } from '../pipeline/adjustments.ts';
import type { TokenLists } from './text-reference.ts';
import { TextWindow, vocabulariesOf, type UntestedFeature } from './text-window.ts';
import type { Vocabulary } from './sketches/text-summary.ts';

export interface QualityMonitorOptions {
  readonly windowItems: number;
  readonly windowMs: number;
  /** Items a second above which a version's items are sampled into its windows (rate-sampler.ts); 0: every item. */
  readonly samplePerSecond?: number;
  /** Milliseconds since the epoch (Date.now). */
  readonly now: () => number;
  /** A window closed with these results; `changed` are the features whose flag turned on or off. */
  readonly onWindowClosed?: (
    model: ModelRef,
    drift: readonly FeatureDrift[],
    changed: readonly FeatureDrift[],
    schema: SchemaReport,
  ) => void;
}

export interface ModelRef {
  readonly name: string;
  readonly version: string;
}

interface Window {
  readonly start: number;
  end: number;
  /** Items observed into its sketches. */
  items: number;
  /** Items answered while it was open, sampled or not. */
  seen: number;
  readonly features: Map<string, FeatureWindow>;
  readonly schema: SchemaCounters;
  readonly adjustments: AdjustmentCounters;
  /** The reference in force when the window opened: a new one applies from the next window. */
  readonly reference: ReferenceProfile | undefined;
  /** A uniform sample of its rows, for a reference captured from it. */
  readonly sample: RowSample<SampledRow>;
  /** Per text field, tokens and tokens outside the reference's vocabulary. */
  readonly text: TextWindow;
  /** An embedding model's output vectors; undefined for any other model. */
  readonly embedding: EmbeddingWindow | undefined;
}

/** A sampled row: its feature values (in `features` order) and its texts' tokens (in `textFields` order). */
interface SampledRow {
  readonly values: ReadonlyArray<FeatureValue | undefined>;
  readonly tokens: TokenLists;
}

/** A window's sampled rows, for a reference captured from live traffic. */
export interface WindowSample {
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly features: readonly Pick<Feature, 'name' | 'kind'>[];
  readonly rows: ReadonlyArray<ReadonlyArray<FeatureValue | undefined>>;
  /** The free-text fields, and per sampled row their tokens: a captured reference's vocabularies. */
  readonly textFields: readonly string[];
  readonly texts: ReadonlyArray<TokenLists>;
  /** The window's embedding statistics (all its vectors, not a sample); undefined without one. */
  readonly embedding: EmbeddingReference | undefined;
}

export interface QualityReport {
  readonly model: string;
  readonly version: string;
  /** `count` items observed of the `seen` answered while it was open (more when items are sampled: `quality.sample_per_second`). */
  readonly window: {
    readonly start: string;
    readonly end: string;
    readonly count: number;
    readonly seen: number;
    readonly closed: boolean;
  };
  readonly reference: ReferenceSummary | null;
  /** Per request field: items that broke its rule (missing, unknown, invalid), flagged above the band. */
  readonly schema: SchemaReport;
  /** Local models: per request field, values imputed, defaulted, clamped, converted, normalised; items with fields missing by outcome. */
  readonly adjustments?: AdjustmentsReport;
  readonly features: readonly FeatureDrift[];
  /** Features the reference gives no test for (a text field's OOV rate under a profile without a vocabulary). */
  readonly untested: readonly UntestedFeature[];
  readonly dataset_drift: { readonly drifted: boolean; readonly share: number; readonly threshold: number } | null;
  readonly confidence: ConfidenceReport | null;
}

export interface ConfidenceReport {
  readonly mean: number;
  readonly reference_mean: number | null;
  /** The top-class probability's distribution against the reference (its feature's test). */
  readonly drifted: boolean;
  readonly quantiles: { readonly p10: number; readonly p50: number; readonly p90: number };
  /** Expected accuracy if the model is calibrated: the mean top-class probability (CBPE's idea, no labels). */
  readonly estimated_accuracy: number;
  readonly reference_estimated_accuracy: number | null;
}

export class QualityMonitor {
  private current: Window;
  /** The last closed window; its drift once tested (after the request that closed it, or by a report). */
  private closed: { readonly window: Window; drift: readonly FeatureDrift[] | undefined } | undefined;
  private readonly flags = new Map<string, boolean>();
  /** The reference's vocabularies, made once per reference. */
  private vocabularies: ReadonlyMap<string, Vocabulary>;
  private readonly sampler: RateSampler;

  constructor(
    readonly model: ModelRef,
    private readonly features: readonly Feature[],
    /** The reference of the windows opened from now on. */
    private reference: ReferenceProfile | undefined,
    private readonly options: QualityMonitorOptions,
    /** The model's partial-data policy, which the report names. */
    readonly partialDataPolicy = 'reject',
    /** The output tensor of an embedding model's vectors, watched for embedding drift. */
    private readonly embeddingOutput: string | undefined = undefined,
    /** Free-text fields, watched for their out-of-vocabulary rate. */
    private readonly textFields: readonly string[] = [],
  ) {
    this.vocabularies = vocabulariesOf(reference);
    this.sampler = new RateSampler(options.samplePerSecond ?? 0, options.now);
    this.current = this.openWindow();
  }

  observe(items: readonly Item[], rows: readonly Row[] | undefined): void {
    const now = this.options.now();
    if (this.current.items > 0 && now - this.current.start >= this.options.windowMs) this.close(now);
    const { sample, text, embedding } = this.current;
    let observed = 0;
    items.forEach((item, index) => {
      if (!this.sampler.take(now)) return;
      observed += 1;
      const row = rows?.[index];
      // Most items past a window's first 1,000 are not sampled: only a kept one's values are copied.
      const slot = sample.slot();
      const kept: Array<FeatureValue | undefined> | undefined = slot === undefined ? undefined : [];
      for (const feature of this.features) {
        const value = feature.read(item, row);
        addValue(this.current.features.get(feature.name) as FeatureWindow, value);
        kept?.push(value);
      }
      const tokens = text.observe(item, slot !== undefined);
      if (slot !== undefined && kept !== undefined) sample.put(slot, { values: kept, tokens: tokens ?? [] });
      if (embedding !== undefined && row !== undefined) embedding.add(row);
    });
    this.current.items += observed;
    this.current.seen += items.length;
    this.current.schema.accepted(items.length);
    this.current.end = now;
    if (this.current.items >= this.options.windowItems) this.close(now);
  }

  /** What validation changed in an answered request's items (counted once the request is answered). */
  adjusted(adjustments: ModelAdjustments): void {
    this.current.adjustments.adjusted(adjustments);
    const now = this.options.now();
    for (const [field, counts] of adjustments.fields)
      this.current.schema.filled(field, counts.imputed + counts.defaulted, now);
  }

  /** A refused request's rule failures, counted in the open window's schema drift; the items it rejected for fields missing. */
  rejected(failures: readonly RequestFailure[]): number {
    const now = this.options.now();
    this.current.schema.rejected(failures, now);
    this.current.end = now;
    return this.current.adjustments.rejected(failures);
  }

  /** The windows opened from now on are tested against `reference`; the open one keeps its own. */
  useReference(reference: ReferenceProfile): void {
    this.reference = reference;
    this.vocabularies = vocabulariesOf(reference);
  }

  /** The reference of the windows opened from now on (the open one may still be tested against the one before). */
  referenceSummary(): ReferenceSummary | null {
    return this.reference === undefined ? null : summaryOfProfile(this.reference);
  }

  /** The rows sampled from the last closed window or the open one; undefined when none has closed. */
  sampleOf(which: 'last_closed' | 'current'): WindowSample | undefined {
    const window = which === 'current' ? this.current : this.closed?.window;
    if (window === undefined) return undefined;
    const { start, end, items: count, sample } = window;
    const vectors = window.embedding?.vectors;
    const embedding = vectors === undefined || vectors.count === 0 ? undefined : embeddingReferenceOf(vectors);
    const rows = sample.rows.map((row) => row.values);
    const texts = sample.rows.map((row) => row.tokens);
    return { start, end, count, features: this.features, rows, textFields: this.textFields, texts, embedding };
  }

  /** The last closed window's report, or the open one's while none has closed. */
  report(): QualityReport {
    if (this.closed !== undefined) return this.reportOf(this.closed.window, this.evaluate(this.closed), true);
    return this.reportOf(this.current, this.test(this.current), false);
  }

  /** The drift tests (an exact KS is O(m·n)) run after the request that closed the window is answered. */
  private close(now: number): void {
    const closed = { window: this.current, drift: undefined };
    this.closed = closed;
    this.current = this.openWindow(now);
    setImmediate(() => this.evaluate(closed));
  }

  /** Tests a closed window once; its flags and metrics are updated then. */
  private evaluate(closed: NonNullable<QualityMonitor['closed']>): readonly FeatureDrift[] {
    if (closed.drift !== undefined) return closed.drift;
    const drift = this.test(closed.window);
    closed.drift = drift;
    const changed = drift.filter((feature) => (this.flags.get(feature.name) ?? false) !== feature.drifted);
    for (const feature of drift) this.flags.set(feature.name, feature.drifted);
    this.options.onWindowClosed?.(this.model, drift, changed, closed.window.schema.report());
    return drift;
  }

  private test(window: Window): FeatureDrift[] {
    if (window.reference === undefined) return [];
    const features = this.features.flatMap((feature) => {
      const reference = window.reference?.features[feature.name];
      const live = window.features.get(feature.name);
      if (reference === undefined || live === undefined || windowCount(live) === 0) return [];
      return [compareFeature(feature.name, reference, live)];
    });
    return [
      ...features,
      ...window.text.test(window.reference),
      ...embeddingDrift(window.reference.embedding, window.embedding),
    ];
  }

  private reportOf(window: Window, drift: readonly FeatureDrift[], closed: boolean): QualityReport {
    const dataset = window.reference === undefined || drift.length === 0 ? null : datasetDrift(drift);
    return {
      model: this.model.name,
      version: this.model.version,
      window: {
        start: new Date(window.start).toISOString(),
        end: new Date(window.end).toISOString(),
        count: window.items,
        seen: window.seen,
        closed,
      },
      reference: window.reference === undefined ? null : summaryOfProfile(window.reference),
      schema: window.schema.report(),
      adjustments: window.adjustments.report(),
      features: drift,
      untested: window.reference === undefined ? [] : window.text.untested(window.reference),
      dataset_drift: dataset,
      confidence: this.confidenceOf(window, drift),
    };
  }

  private confidenceOf(window: Window, drift: readonly FeatureDrift[]): ConfidenceReport | null {
    const live = window.features.get('confidence');
    if (live?.kind !== 'numeric' || live.sketch.count === 0) return null;
    const mean = meanOf(live.sketch.weightedValues());
    const reference = window.reference?.features['confidence'];
    const referenceMean =
      reference?.kind === 'numeric' && reference.values.length > 0
        ? reference.values.reduce((sum, value) => sum + value, 0) / reference.values.length
        : null;
    return {
      mean,
      reference_mean: referenceMean,
      drifted: drift.some((feature) => feature.name === 'confidence' && feature.drifted),
      quantiles: { p10: live.sketch.quantile(0.1), p50: live.sketch.quantile(0.5), p90: live.sketch.quantile(0.9) },
      estimated_accuracy: mean,
      reference_estimated_accuracy: referenceMean,
    };
  }

  private openWindow(start = this.options.now()): Window {
    const features = new Map(this.features.map((feature) => [feature.name, newWindow(feature.kind)]));
    const adjustments = new AdjustmentCounters(this.partialDataPolicy);
    const sample = new RowSample<SampledRow>(MAX_REFERENCE_ROWS);
    const { reference } = this;
    const embedding = this.embeddingOutput === undefined ? undefined : new EmbeddingWindow(this.embeddingOutput);
    const schema = new SchemaCounters(reference?.schema);
    const text = new TextWindow(this.textFields, this.vocabularies);
    return { start, end: start, items: 0, seen: 0, features, schema, adjustments, reference, sample, embedding, text };
  }
}

function meanOf(values: { readonly values: readonly number[]; readonly weights: readonly number[] }): number {
  let total = 0;
  let weight = 0;
  values.values.forEach((value, index) => {
    const w = values.weights[index] ?? 0;
    total += value * w;
    weight += w;
  });
  return weight === 0 ? NaN : total / weight;
}
