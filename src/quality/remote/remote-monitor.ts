/**
 * Data quality of one remote (OpenAI-compatible) model's traffic: per request its prompt
 * and completion tokens (KLL sketches), its answer's `finish_reason`s and its outcome (`ok`
 * or the error's code) as categories, in windows that close after `windowItems` requests or
 * `windowMs`. A closed window is tested against the model's reference window with the same
 * tests as a local model's features (drift.ts): the first window closed after start, unless
 * an operator pins a later one (`pinReference`). Observing costs a few sketch updates and
 * no allocation beyond them.
 */
import type { SchemaReport } from '../schema-counters.ts';
import { compareFeature, datasetDrift, type FeatureDrift } from '../drift.ts';
import { addValue, newWindow, windowCount, type FeatureWindow } from '../feature-window.ts';
import type { FeatureKind } from '../features.ts';
import type { ModelRef, QualityMonitorOptions, QualityReport } from '../quality-monitor.ts';
import type { ReferenceProfile } from '../reference-profile.ts';
import { profileOfWindow } from '../window-profile.ts';

export const REMOTE_FEATURES: ReadonlyArray<{ readonly name: RemoteFeature; readonly kind: FeatureKind }> = [
  { name: 'prompt_tokens', kind: 'numeric' },
  { name: 'completion_tokens', kind: 'numeric' },
  { name: 'finish_reason', kind: 'categorical' },
  { name: 'error', kind: 'categorical' },
];
export type RemoteFeature = 'prompt_tokens' | 'completion_tokens' | 'finish_reason' | 'error';
/** The `error` category of an answered request. */
export const NO_ERROR = 'ok';

interface Window {
  readonly start: number;
  end: number;
  requests: number;
  readonly features: Map<string, FeatureWindow>;
}

interface Closed {
  readonly window: Window;
  drift: readonly FeatureDrift[] | undefined;
}

export class RemoteQualityMonitor {
  private current: Window;
  private closed: Closed | undefined;
  private reference: { readonly profile: ReferenceProfile; readonly window: Window } | undefined;
  private readonly flags = new Map<string, boolean>();

  constructor(
    readonly model: ModelRef,
    private readonly options: QualityMonitorOptions,
  ) {
    this.current = this.openWindow(options.now());
  }

  /**
   * An answered request: the tokens its upstream reported (undefined: not reported) and its
   * choices (an answer's `choices`, each with its `finish_reason`, or the reasons themselves).
   */
  answered(promptTokens: number | undefined, completionTokens: number | undefined, choices: unknown): void {
    const now = this.before();
    const { features } = this.current;
    addValue(features.get('prompt_tokens') as FeatureWindow, promptTokens);
    addValue(features.get('completion_tokens') as FeatureWindow, completionTokens);
    const finish = features.get('finish_reason') as FeatureWindow;
    if (Array.isArray(choices))
      for (const choice of choices as unknown[]) {
        const reason: unknown =
          typeof choice === 'object' && choice !== null ? Reflect.get(choice, 'finish_reason') : choice;
        if (typeof reason === 'string') addValue(finish, reason);
      }
    addValue(features.get('error') as FeatureWindow, NO_ERROR);
    this.after(now);
  }

  /** A request refused or failed: its error code. */
  failed(code: string): void {
    const now = this.before();
    addValue(this.current.features.get('error') as FeatureWindow, code);
    this.after(now);
  }

  /** The last closed window becomes the reference; undefined while none has closed. */
  pinReference(): QualityReport['reference'] {
    const closed = this.closed;
    if (closed === undefined) return null;
    const at = new Date(this.options.now()).toISOString();
    this.setReference(closed.window, `pinned by an operator at ${at}: ${describe(closed.window)}`);
    closed.drift = undefined;
    return this.referenceSummary();
  }

  /** The last closed window's report, or the open one's while none has closed. */
  report(): QualityReport {
    if (this.closed !== undefined) return this.reportOf(this.closed.window, this.evaluate(this.closed), true);
    return this.reportOf(this.current, this.test(this.current), false);
  }

  private before(): number {
    const now = this.options.now();
    if (this.current.requests > 0 && now - this.current.start >= this.options.windowMs) this.close(now);
    return now;
  }

  private after(now: number): void {
    this.current.requests += 1;
    this.current.end = now;
    if (this.current.requests >= this.options.windowItems) this.close(now);
  }

  /** The first closed window is the reference; later ones are tested after the request that closed them. */
  private close(now: number): void {
    const closed: Closed = { window: this.current, drift: undefined };
    this.closed = closed;
    this.current = this.openWindow(now);
    if (this.reference === undefined) {
      this.setReference(closed.window, `the first window closed after start: ${describe(closed.window)}`);
      closed.drift = [];
    } else setImmediate(() => this.evaluate(closed));
  }

  private setReference(window: Window, source: string): void {
    this.reference = { profile: profileOfWindow(this.model, window.features, window.requests, source), window };
  }

  private evaluate(closed: Closed): readonly FeatureDrift[] {
    if (closed.drift !== undefined) return closed.drift;
    const drift = this.test(closed.window);
    closed.drift = drift;
    const changed = drift.filter((feature) => (this.flags.get(feature.name) ?? false) !== feature.drifted);
    for (const feature of drift) this.flags.set(feature.name, feature.drifted);
    const schema: SchemaReport = { items: closed.window.requests, fields: [] };
    this.options.onWindowClosed?.(this.model, drift, changed, schema);
    return drift;
  }

  /** Features with values on both sides; the reference window is not tested against itself. */
  private test(window: Window): FeatureDrift[] {
    const reference = this.reference;
    if (reference === undefined || reference.window === window) return [];
    return REMOTE_FEATURES.flatMap(({ name }) => {
      const expected = reference.profile.features[name];
      const live = window.features.get(name);
      if (expected === undefined || live === undefined || windowCount(live) === 0) return [];
      const empty =
        expected.kind === 'numeric' ? expected.values.length === 0 : Object.keys(expected.counts).length === 0;
      return empty ? [] : [compareFeature(name, expected, live)];
    });
  }

  private reportOf(window: Window, drift: readonly FeatureDrift[], closed: boolean): QualityReport {
    return {
      model: this.model.name,
      version: this.model.version,
      window: {
        start: new Date(window.start).toISOString(),
        end: new Date(window.end).toISOString(),
        count: window.requests,
        closed,
      },
      reference: this.referenceSummary(),
      schema: { items: window.requests, fields: [] },
      features: drift,
      untested: [],
      dataset_drift: drift.length === 0 ? null : datasetDrift(drift),
      confidence: null,
    };
  }

  private referenceSummary(): QualityReport['reference'] {
    const profile = this.reference?.profile;
    return profile === undefined ? null : { source: profile.source, rows: profile.rows };
  }

  private openWindow(start: number): Window {
    const features = new Map(REMOTE_FEATURES.map(({ name, kind }) => [name, newWindow(kind)] as const));
    return { start, end: start, requests: 0, features };
  }
}

function describe(window: Window): string {
  const from = new Date(window.start).toISOString();
  return `${window.requests} requests from ${from} to ${new Date(window.end).toISOString()}`;
}
