/**
 * Data quality of one remote (OpenAI-compatible) model's traffic: per request its prompt
 * and completion tokens (KLL sketches), its answer's `finish_reason`s and its outcome (`ok`
 * or the error's code) as categories, in windows of `windowItems` requests or `windowMs`,
 * each tested as a local model's features are (drift.ts) against the reference: the first
 * window closed after start, unless an operator pins a later one (`candidateOfLastClosed`,
 * pinned-reference.ts) or the state store holds a pin (`useStored`, stored-pins.ts); while
 * that store cannot be read at start, the first window closed is held untested. Observing
 * costs a few sketch updates. Prompts' words, when given, are counted against the
 * reference's vocabulary of prompts (prompt-window.ts): the rate `prompt.oov_rate`.
 */
import type { SchemaReport } from '../schema-counters.ts';
import { compareFeature, datasetDrift, type FeatureDrift } from '../drift.ts';
import { addValue, newWindow, windowCount, type FeatureWindow } from '../feature-window.ts';
import type { FeatureKind } from '../features.ts';
import { oovFeatureName } from '../oov-drift.ts';
import type { ModelRef, QualityMonitorOptions, QualityReport } from '../quality-monitor.ts';
import type { ReferenceProfile } from '../reference-profile.ts';
import type { ReferenceSummary } from '../reference-summary.ts';
import { RateSampler } from '../rate-sampler.ts';
import { DEFAULT_VOCABULARY_SIZE, type TextReference } from '../text-reference.ts';
import type { UntestedFeature } from '../text-window.ts';
import { profileOfWindow } from '../window-profile.ts';
import { PromptWindow, withPromptVocabulary, PROMPT_FIELD } from './prompt-window.ts';

export const REMOTE_FEATURES: ReadonlyArray<{ readonly name: RemoteFeature; readonly kind: FeatureKind }> = [
  { name: 'prompt_tokens', kind: 'numeric' },
  { name: 'completion_tokens', kind: 'numeric' },
  { name: 'finish_reason', kind: 'categorical' },
  { name: 'error', kind: 'categorical' },
];
export type RemoteFeature = 'prompt_tokens' | 'completion_tokens' | 'finish_reason' | 'error';
/** The `error` category of an answered request. */
export const NO_ERROR = 'ok';

export interface RemoteMonitorOptions extends QualityMonitorOptions {
  /** Words a reference's vocabulary of prompts keeps (`quality.vocabulary_size`). */
  readonly vocabularySize?: number;
}

interface Window {
  readonly start: number;
  end: number;
  requests: number;
  readonly features: Map<string, FeatureWindow>;
  readonly prompts: PromptWindow;
}

interface Closed {
  readonly window: Window;
  drift: readonly FeatureDrift[] | undefined;
}

interface Reference {
  readonly profile: ReferenceProfile;
  /** The window it was made of; undefined for one pinned before this process started. */
  readonly window: Window | undefined;
  readonly summary: ReferenceSummary;
}

/** A window made a reference but not yet in force: `use()` puts it in force (once it is kept). */
export interface ReferenceCandidate {
  readonly profile: ReferenceProfile;
  readonly summary: ReferenceSummary;
  use(): void;
}

export class RemoteQualityMonitor {
  private current: Window;
  private closed: Closed | undefined;
  private reference: Reference | undefined;
  private readonly flags = new Map<string, boolean>();
  private readonly promptSampler: RateSampler;
  /** The stored pin is still to be read: no window is made the reference; the first one closed is held. */
  private awaiting = false;
  private held: Window | undefined;
  private closeListener: (() => void) | undefined;

  constructor(
    readonly model: ModelRef,
    private readonly options: RemoteMonitorOptions,
  ) {
    this.current = this.openWindow(options.now());
    this.promptSampler = new RateSampler(options.samplePerSecond ?? 0, options.now);
  }

  /** Whether to split the next answered prompt into words: sampled above `samplePerSecond` (rate-sampler.ts). */
  takesPrompt(): boolean {
    return this.promptSampler.take();
  }

  /**
   * An answered request: the tokens its upstream reported (undefined: not reported), its
   * choices (an answer's `choices`, each with its `finish_reason`, or the reasons themselves)
   * and its prompt's words (prompt-words.ts; undefined: it had no user text).
   */
  answered(
    promptTokens: number | undefined,
    completionTokens: number | undefined,
    choices: unknown,
    promptWords?: readonly string[],
  ): void {
    const now = this.before();
    const { features, prompts } = this.current;
    if (promptWords !== undefined) prompts.observe(promptWords, this.promptReference());
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

  /** The last closed window as a reference pinned by `by` at `at`, not yet in force; undefined while none has closed. */
  candidateOfLastClosed(by: string, at: number): ReferenceCandidate | undefined {
    const window = this.closed?.window;
    if (window === undefined) return undefined;
    const madeAt = new Date(at).toISOString();
    const source = `pinned through the admin API by ${by} at ${madeAt}: ${describe(window)}`;
    const reference = this.referenceOf(window, source, { origin: 'pinned', made_at: madeAt, made_by: by });
    return { profile: reference.profile, summary: reference.summary, use: () => this.useReference(reference) };
  }

  /**
   * The pin the state store holds (made before this process started, or on another replica)
   * is in force from now on, the window open included, unless it is the one in force already
   * (the same time and key). Whether it was put in force.
   */
  useStored(profile: ReferenceProfile, pinnedAt: string, pinnedBy: string): boolean {
    const inForce = this.reference?.summary;
    if (inForce?.origin === 'pinned' && inForce.made_at === pinnedAt && inForce.made_by === pinnedBy) return false;
    const { source, rows } = profile;
    const summary: ReferenceSummary = { source, rows, origin: 'pinned', made_at: pinnedAt, made_by: pinnedBy };
    this.useReference({ profile, window: undefined, summary });
    return true;
  }

  /** The stored pin cannot be read yet: the first window closed is held untested, not made the reference. */
  awaitStored(): void {
    if (this.reference === undefined) this.awaiting = true;
  }

  /** The store holds no pin, or cannot be read: the window held (if one closed) is the reference after all. */
  stopAwaiting(): void {
    const held = this.held;
    this.awaiting = false;
    this.held = undefined;
    if (this.reference !== undefined || held === undefined) return;
    this.reference = this.firstReference(held);
    if (this.closed !== undefined && this.closed.window !== held) this.closed.drift = undefined;
  }

  /** `listener` is called after each window closes (stored-pins.ts reads the stored pin again). */
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }

  /** The reference in force; null before the first window has closed. */
  referenceSummary(): ReferenceSummary | null {
    return this.reference?.summary ?? null;
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

  /** The first closed window is the reference (or held); later ones are tested after the request that closed them. */
  private close(now: number): void {
    const closed: Closed = { window: this.current, drift: undefined };
    this.closed = closed;
    this.current = this.openWindow(now);
    if (this.reference !== undefined) setImmediate(() => this.evaluate(closed));
    else {
      closed.drift = [];
      if (!this.awaiting) this.reference = this.firstReference(closed.window);
      else this.held ??= closed.window;
    }
    this.closeListener?.();
  }

  private firstReference(window: Window): Reference {
    const source = `the first window closed after start: ${describe(window)}`;
    const made = { origin: 'first_window', made_at: new Date(window.end).toISOString(), made_by: null } as const;
    return this.referenceOf(window, source, made);
  }

  private referenceOf(
    window: Window,
    source: string,
    made: Pick<ReferenceSummary, 'origin' | 'made_at' | 'made_by'>,
  ): Reference {
    const vocabularySize = this.options.vocabularySize ?? DEFAULT_VOCABULARY_SIZE;
    const features = profileOfWindow(this.model, window.features, window.requests, source);
    const profile = withPromptVocabulary(features, window.prompts, vocabularySize);
    return { profile, window, summary: { source, rows: profile.rows, ...made } };
  }

  /** The vocabulary of prompts of the reference in force, whether made here or read from a store. */
  private promptReference(): TextReference | undefined {
    return this.reference?.profile.text?.[PROMPT_FIELD];
  }

  /** In force at once: the last closed window is tested again against it (the pinned window itself: against nothing). */
  private useReference(reference: Reference): void {
    this.reference = reference;
    this.awaiting = false;
    this.held = undefined;
    if (this.closed !== undefined) this.closed.drift = undefined;
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
    const features = REMOTE_FEATURES.flatMap(({ name }) => {
      const expected = reference.profile.features[name];
      const live = window.features.get(name);
      if (expected === undefined || live === undefined || windowCount(live) === 0) return [];
      const empty =
        expected.kind === 'numeric' ? expected.values.length === 0 : Object.keys(expected.counts).length === 0;
      return empty ? [] : [compareFeature(name, expected, live)];
    });
    return [...features, ...window.prompts.test(this.promptReference())];
  }

  /** The prompts' OOV rate, when the window is tested but its reference has no vocabulary of prompts; every feature while the stored pin is awaited. */
  private untested(window: Window): UntestedFeature[] {
    const reference = this.reference;
    if (reference === undefined && this.awaiting && window.requests > 0) return awaitedFeatures();
    if (reference === undefined || reference.window === window) return [];
    return window.prompts.untested(this.promptReference());
  }

  private reportOf(window: Window, drift: readonly FeatureDrift[], closed: boolean): QualityReport {
    return {
      model: this.model.name,
      version: this.model.version,
      window: {
        start: new Date(window.start).toISOString(),
        end: new Date(window.end).toISOString(),
        count: window.requests,
        seen: window.requests,
        closed,
      },
      reference: this.referenceSummary(),
      schema: { items: window.requests, fields: [] },
      features: drift,
      untested: this.untested(window),
      dataset_drift: drift.length === 0 ? null : datasetDrift(drift),
      confidence: null,
    };
  }

  private openWindow(start: number): Window {
    const features = new Map(REMOTE_FEATURES.map(({ name, kind }) => [name, newWindow(kind)] as const));
    return { start, end: start, requests: 0, features, prompts: new PromptWindow() };
  }
}

function awaitedFeatures(): UntestedFeature[] {
  const reason =
    "the model's pinned reference cannot be read from the state store yet (retrying): the window is tested " +
    'against it once read, or becomes the reference if it cannot be';
  return [...REMOTE_FEATURES.map(({ name }) => name), oovFeatureName(PROMPT_FIELD)].map((name) => ({ name, reason }));
}

function describe(window: Window): string {
  const from = new Date(window.start).toISOString();
  return `${window.requests} requests from ${from} to ${new Date(window.end).toISOString()}`;
}
