/**
 * A closed window of live traffic written as a reference profile, the shape the drift tests
 * and the report read (reference-profile.ts). A window is kept in sketches, not rows, so
 * its rows are made from them: a number's n = min(count, 1,000) quantiles at the midpoints
 * (each within the sketch's rank error of the window's), a category's counts scaled to at
 * most 1,000 rows (a category seen keeps at least one). Kept to 1,000 rows, the reference
 * gets Evidently's small-reference tests, KS and chi-squared, as a built profile does.
 */
import type { FeatureWindow } from './feature-window.ts';
import { MAX_REFERENCE_ROWS, type ReferenceFeature, type ReferenceProfile } from './reference-profile.ts';

export function profileOfWindow(
  model: { readonly name: string; readonly version: string },
  features: ReadonlyMap<string, FeatureWindow>,
  rows: number,
  source: string,
): ReferenceProfile {
  const profile: Record<string, ReferenceFeature> = {};
  for (const [name, window] of features) profile[name] = referenceOf(window);
  return {
    format: 1,
    model: model.name,
    version: model.version,
    source,
    rows: Math.min(rows, MAX_REFERENCE_ROWS),
    features: profile,
  };
}

function referenceOf(window: FeatureWindow): ReferenceFeature {
  if (window.kind === 'numeric') {
    const n = Math.min(window.sketch.count, MAX_REFERENCE_ROWS);
    return { kind: 'numeric', values: n === 0 ? [] : window.sketch.quantiles(n) };
  }
  const estimates = window.sketch.estimates();
  const total = estimates.reduce((sum, estimate) => sum + estimate.lower, 0);
  const scale = total > MAX_REFERENCE_ROWS ? MAX_REFERENCE_ROWS / total : 1;
  const counts: Record<string, number> = {};
  for (const { value, lower } of estimates) if (lower > 0) counts[value] = Math.max(1, Math.round(lower * scale));
  return { kind: 'categorical', counts };
}
