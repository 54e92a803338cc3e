/**
 * One feature's drift: its live window against its reference, with Evidently's default
 * test for the feature and the reference's size (src/quality/stats/choose-test.ts;
 * docs/quality.md). The live window is a sketch; its retained values, each repeated by the
 * weight it stands for, are the sample the tests read (within the sketch's rank error).
 */
import { datasetDrift as datasetDriftOf, featureDrift, type DriftTestName } from './stats/choose-test.ts';
import { totalCount, type FeatureSample } from './stats/samples.ts';
import type { FeatureWindow } from './feature-window.ts';
import type { FeatureKind } from './features.ts';
import type { ReferenceFeature } from './reference-profile.ts';

export interface FeatureDrift {
  readonly name: string;
  /** `embedding`: a model's output vectors, tested by `mean_distance` (embedding-drift.ts); `text_oov`: a text field's out-of-vocabulary rate, by `oov_band` (oov-drift.ts). */
  readonly kind: FeatureKind | 'embedding' | 'text_oov';
  readonly test: DriftTestName | 'mean_distance' | 'oov_band';
  readonly statistic: number;
  readonly p_value: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly reference_count: number;
  readonly live_count: number;
}

export function compareFeature(name: string, reference: ReferenceFeature, live: FeatureWindow): FeatureDrift {
  const referenceSample: FeatureSample =
    reference.kind === 'numeric'
      ? { kind: 'numeric', values: reference.values }
      : { kind: 'categorical', counts: reference.counts };
  const liveSample = sampleOf(live);
  const result = featureDrift(referenceSample, liveSample);
  return {
    name,
    kind: reference.kind,
    test: result.test,
    statistic: result.statistic,
    p_value: result.pValue ?? null,
    threshold: result.threshold,
    drifted: result.drifted,
    reference_count: reference.kind === 'numeric' ? reference.values.length : totalCount(reference.counts),
    live_count: live.kind === 'numeric' ? live.sketch.count : live.sketch.total,
  };
}

export function datasetDrift(features: readonly FeatureDrift[]): {
  drifted: boolean;
  share: number;
  threshold: number;
} {
  const drift = datasetDriftOf(features);
  return { drifted: drift.drifted, share: drift.driftedShare, threshold: 0.5 };
}

function sampleOf(window: FeatureWindow): FeatureSample {
  if (window.kind === 'categorical') {
    return {
      kind: 'categorical',
      counts: Object.fromEntries(window.sketch.estimates().map((estimate) => [estimate.value, estimate.lower])),
    };
  }
  return { kind: 'numeric', ...window.sketch.weightedValues() };
}
