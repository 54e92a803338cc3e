/**
 * A model version's reference: what its traffic looked like when it was known to be good,
 * as up to 1,000 rows of its features (the training data of the default models, a user's
 * `sluice profile --data items.jsonl`, or a captured window of live traffic). Kept whole,
 * rows are what Evidently's small-reference tests (KS, chi-squared) compare against.
 * Stored as `reference-profile.json` next to the model's ONNX file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '../core/tensors.ts';
import { createRng } from '../core/seeded-rng.ts';
import type { Item } from '../pipeline/request.ts';
import type { Feature, FeatureKind } from './features.ts';

export const PROFILE_FILE = 'reference-profile.json';
/** Evidently switches from tests on rows to distances above this many reference rows. */
export const MAX_REFERENCE_ROWS = 1000;

export type ReferenceFeature =
  | { readonly kind: 'numeric'; readonly values: readonly number[] }
  | { readonly kind: 'categorical'; readonly counts: Readonly<Record<string, number>> };

export interface ReferenceProfile {
  readonly format: 1;
  readonly model: string;
  readonly version: string;
  /** Where the rows came from, for the report. */
  readonly source: string;
  readonly rows: number;
  readonly features: Readonly<Record<string, ReferenceFeature>>;
}

export interface Observation {
  readonly item: Item;
  readonly row: Row | undefined;
}

/** A seeded uniform sample of at most `maxRows` observations (reservoir), read into features. */
export function buildProfile(
  model: { readonly name: string; readonly version: string },
  features: readonly Feature[],
  observations: Iterable<Observation>,
  options: { readonly source: string; readonly maxRows?: number; readonly seed?: number },
): ReferenceProfile {
  const sample = reservoir(observations, options.maxRows ?? MAX_REFERENCE_ROWS, options.seed ?? 1);
  const profile: Record<string, ReferenceFeature> = {};
  for (const feature of features) {
    const values = sample.map(({ item, row }) => feature.read(item, row)).filter((value) => value !== undefined);
    profile[feature.name] = summarise(feature.kind, values);
  }
  return {
    format: 1,
    model: model.name,
    version: model.version,
    source: options.source,
    rows: sample.length,
    features: profile,
  };
}

function summarise(kind: FeatureKind, values: ReadonlyArray<number | string>): ReferenceFeature {
  if (kind === 'numeric') return { kind, values: values.filter((value) => typeof value === 'number') };
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return { kind, counts };
}

function reservoir<T>(items: Iterable<T>, size: number, seed: number): T[] {
  const rng = createRng(seed);
  const kept: T[] = [];
  let seen = 0;
  for (const item of items) {
    seen += 1;
    if (kept.length < size) kept.push(item);
    else {
      const slot = rng.int(seen);
      if (slot < size) kept[slot] = item;
    }
  }
  return kept;
}

export function writeProfile(modelDir: string, profile: ReferenceProfile): string {
  const file = join(modelDir, PROFILE_FILE);
  writeFileSync(file, `${JSON.stringify(profile)}\n`);
  return file;
}

/** The profile next to a model, or undefined when it has none; a malformed file is an error naming it. */
export function readProfile(modelDir: string): ReferenceProfile | undefined {
  const file = join(modelDir, PROFILE_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ReferenceProfile>;
  if (parsed.format !== 1 || typeof parsed.features !== 'object' || parsed.features === null)
    throw new Error(`${file} is not a sluice reference profile (format 1)`);
  return parsed as ReferenceProfile;
}
