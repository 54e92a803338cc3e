/**
 * One feature's live window in a bounded, mergeable sketch: a KLL quantile sketch for a
 * number, a frequent-items sketch for a category (src/quality/sketches).
 */
import { FrequentItems } from './sketches/frequent-items.ts';
import { QuantileSketch } from './sketches/quantile-sketch.ts';
import type { FeatureKind, FeatureValue } from './features.ts';

export type FeatureWindow =
  | { readonly kind: 'numeric'; readonly sketch: QuantileSketch; missing: number }
  | { readonly kind: 'categorical'; readonly sketch: FrequentItems; missing: number };

export function newWindow(kind: FeatureKind): FeatureWindow {
  return kind === 'numeric'
    ? { kind, sketch: new QuantileSketch(), missing: 0 }
    : { kind, sketch: new FrequentItems(), missing: 0 };
}

export function addValue(window: FeatureWindow, value: FeatureValue | undefined): void {
  if (value === undefined) window.missing += 1;
  else if (window.kind === 'numeric') {
    if (typeof value === 'number') window.sketch.add(value);
    else window.missing += 1;
  } else window.sketch.add(String(value));
}

/** How many values the window holds. */
export function windowCount(window: FeatureWindow): number {
  return window.kind === 'numeric' ? window.sketch.count : window.sketch.total;
}
