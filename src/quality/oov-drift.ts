/**
 * Out-of-vocabulary drift of a text field (docs/quality.md#out-of-vocabulary-rate): the
 * window's OOV rate against a band above the reference's held-out rate, the way schema drift
 * bands a field's failure rate:
 *
 *   drifted when rate > reference_rate + max(0.01, 3σ)
 *
 * σ is the sampling noise of the difference between two such rates drawn from the reference's
 * population, with items as the independent units (an unknown name or a foreign sentence
 * brings several unknown tokens at once, so tokens are not independent draws): the ratio
 * estimator's linearised variance, s²/t̄² · (1/n + 1/m), where s² is the variance of
 * oov − rate·tokens over the reference's held-out items and t̄ their mean tokens. One-sided:
 * fewer unknown words is no risk to a model.
 */
import type { FeatureDrift } from './drift.ts';
import { OovCounts } from './sketches/oov-counts.ts';
import type { TextReference } from './text-reference.ts';

/** A rate within this of the reference's is never flagged, however long the window. */
export const OOV_MIN_BAND = 0.01;
/** ... nor one within this many standard deviations of the sampling noise, when that is wider. */
export const OOV_SIGMAS = 3;

export interface OovDrift extends FeatureDrift {
  readonly kind: 'text_oov';
  readonly test: 'oov_band';
  /** The window's OOV rate (also the statistic) and the reference's held-out rate. */
  readonly rate: number;
  readonly reference_rate: number;
  readonly tokens: number;
  readonly oov_tokens: number;
  readonly vocabulary_size: number;
}

/** The feature an OOV rate is reported under: `<field>.oov_rate`, beside `<field>.length`. */
export function oovFeatureName(field: string): string {
  return `${field}.oov_rate`;
}

/** The highest OOV rate a window of `items` texts may have and still read as the reference's. */
export function oovBand(reference: OovCounts, items: number): number {
  const rate = reference.rate;
  const meanTokens = reference.tokens / reference.items;
  const unitVariance = reference.residualVariance(rate) / (meanTokens * meanTokens);
  const spread = OOV_SIGMAS * Math.sqrt(unitVariance * (1 / items + 1 / reference.items));
  return Math.min(1, rate + Math.max(OOV_MIN_BAND, spread));
}

/** The field's entry, or none while the window or the reference's held-out half has no token. */
export function oovDrift(field: string, reference: TextReference, live: OovCounts): OovDrift[] {
  const heldOut = OovCounts.fromJSON(reference.held_out);
  if (live.tokens === 0 || heldOut.tokens === 0) return [];
  const threshold = oovBand(heldOut, live.items);
  return [
    {
      name: oovFeatureName(field),
      kind: 'text_oov',
      test: 'oov_band',
      statistic: live.rate,
      p_value: null,
      threshold,
      drifted: live.rate > threshold,
      reference_count: heldOut.items,
      live_count: live.items,
      rate: live.rate,
      reference_rate: heldOut.rate,
      tokens: live.tokens,
      oov_tokens: live.oovTokens,
      vocabulary_size: reference.vocabulary.length,
    },
  ];
}

export function isOovDrift(feature: FeatureDrift): feature is OovDrift {
  return feature.kind === 'text_oov';
}
