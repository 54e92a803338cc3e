/**
 * Evidently's default drift test per feature and its verdict, and dataset drift.
 *
 * The choice follows `_get_default_stattest` (evidently/legacy/calculations/stattests/registry.py),
 * with n = reference rows after dropping NaN and ±∞, and v = distinct values of both sides together:
 *
 *               n ≤ 1000                               n > 1000
 *   numeric     v ≤ 5: chi-squared (v > 2) or Z-test   v ≤ 5: Jensen–Shannon
 *               v > 5: Kolmogorov–Smirnov              v > 5: normed Wasserstein
 *   categorical chi-squared (v > 2) or Z-test (v ≤ 2)  Jensen–Shannon
 *
 * Thresholds and comparisons are each stattest's own (…/stattests/<name>.py): KS drifts when
 * p ≤ 0.05, chi-squared and Z when p < 0.05, Wasserstein, Jensen–Shannon and PSI when the
 * distance ≥ 0.1. Dataset drift: drifted features / features ≥ share (default 0.5), from
 * `get_dataset_drift` in evidently/legacy/calculations/data_drift.py.
 */
import { chiSquaredTest } from './chi-squared.ts';
import { jensenShannonTest } from './jensen-shannon.ts';
import type { WeightedCdf } from './empirical-cdf.ts';
import { ksFromCdfs } from './ks.ts';
import { psiTest } from './psi.ts';
import { asCounts, numericCdf, sampleSize, unionCategories, type FeatureSample } from './samples.ts';
import { normedWassersteinFromCdfs } from './wasserstein.ts';
import { zTest } from './z-test.ts';

export type DriftTestName = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface FeatureDrift {
  readonly test: DriftTestName;
  /** D, χ², z, or the distance / index itself for the distance tests. */
  readonly statistic: number;
  /** Present for the hypothesis tests (KS, chi-squared, Z). */
  readonly pValue?: number;
  readonly threshold: number;
  readonly drifted: boolean;
}

export interface DriftOptions {
  /** Overrides the default choice; 'psi' is only ever used this way. */
  readonly test?: DriftTestName;
  readonly threshold?: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** Up to this many reference rows Evidently uses hypothesis tests; above it, distances. */
export const MAX_TEST_REFERENCE_ROWS = 1000;
/** A numeric feature with at most this many distinct values is tested as categories. */
export const MAX_FEW_VALUES = 5;

/**
 * NaN and ±∞ dropped from numeric samples, as Evidently does, and the rest sorted with ties
 * merged (values with their counts); an empty side is an error.
 */
function clean(sample: FeatureSample, side: string): FeatureSample {
  const cleaned: FeatureSample = sample.kind === 'numeric' ? { kind: 'numeric', ...numericCdf(sample) } : sample;
  if (!(sampleSize(cleaned) > 0)) throw new RangeError(`the ${side} sample of a feature is empty`);
  return cleaned;
}

function distinctValues(reference: FeatureSample, live: FeatureSample): number {
  if (reference.kind === 'numeric' && live.kind === 'numeric') {
    return new Set([...numericCdf(reference).values, ...numericCdf(live).values]).size;
  }
  return unionCategories(asCounts(reference), asCounts(live)).length;
}

/** Evidently's default test for a feature (samples already cleaned). */
export function chooseTest(reference: FeatureSample, live: FeatureSample): DriftTestName {
  const v = distinctValues(reference, live);
  const small = sampleSize(reference) <= MAX_TEST_REFERENCE_ROWS;
  if (reference.kind === 'numeric' && v > MAX_FEW_VALUES) return small ? 'ks' : 'wasserstein';
  if (!small) return 'jensenshannon';
  return v > 2 ? 'chisquare' : 'z';
}

function cdfOf(sample: FeatureSample, test: DriftTestName): WeightedCdf {
  if (sample.kind !== 'numeric') throw new RangeError(`the ${test} test needs a numeric feature`);
  return numericCdf(sample);
}

function verdict(test: DriftTestName, statistic: number, threshold: number, pValue?: number): FeatureDrift {
  if (pValue === undefined) return { test, statistic, threshold, drifted: statistic >= threshold };
  const drifted = test === 'ks' ? pValue <= threshold : pValue < threshold;
  return { test, statistic, pValue, threshold, drifted };
}

function run(test: DriftTestName, reference: FeatureSample, live: FeatureSample, threshold: number): FeatureDrift {
  switch (test) {
    case 'ks': {
      const result = ksFromCdfs(cdfOf(reference, test), cdfOf(live, test));
      return verdict(test, result.statistic, threshold, result.pValue);
    }
    case 'chisquare': {
      const result = chiSquaredTest(asCounts(reference), asCounts(live));
      return verdict(test, result.statistic, threshold, result.pValue);
    }
    case 'z': {
      const result = zTest(asCounts(reference), asCounts(live));
      return verdict(test, result.statistic, threshold, result.pValue);
    }
    case 'wasserstein':
      return verdict(test, normedWassersteinFromCdfs(cdfOf(reference, test), cdfOf(live, test)).statistic, threshold);
    case 'jensenshannon':
      return verdict(test, jensenShannonTest(reference, live), threshold);
    case 'psi':
      return verdict(test, psiTest(reference, live), threshold);
  }
}

/** One feature's drift: Evidently's default test (or the one asked for) and its verdict. */
export function featureDrift(reference: FeatureSample, live: FeatureSample, options: DriftOptions = {}): FeatureDrift {
  if (reference.kind !== live.kind) throw new RangeError('reference and live samples must be of the same kind');
  const cleanReference = clean(reference, 'reference');
  const cleanLive = clean(live, 'live');
  const test = options.test ?? chooseTest(cleanReference, cleanLive);
  return run(test, cleanReference, cleanLive, options.threshold ?? DEFAULT_THRESHOLDS[test]);
}

export interface DatasetDrift {
  readonly drifted: boolean;
  readonly driftedFeatures: number;
  readonly features: number;
  /** Drifted features / features (0 with no features). */
  readonly driftedShare: number;
}

/** Dataset drift when at least `share` of the features drifted (Evidently's drift_share, 0.5). */
export function datasetDrift(features: ReadonlyArray<Pick<FeatureDrift, 'drifted'>>, share = 0.5): DatasetDrift {
  const driftedFeatures = features.filter((feature) => feature.drifted).length;
  const driftedShare = features.length === 0 ? 0 : driftedFeatures / features.length;
  return {
    drifted: features.length > 0 && driftedShare >= share,
    driftedFeatures,
    features: features.length,
    driftedShare,
  };
}
