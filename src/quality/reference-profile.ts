/**
 * A model version's reference: what its traffic looked like when it was known to be good,
 * as up to 1,000 rows of its features (the training data of the default models, a user's
 * `sluice profile --data items.jsonl`, or a captured window of live traffic). Kept whole,
 * rows are what Evidently's small-reference tests (KS, chi-squared) compare against.
 * Stored as `reference-profile.json` next to the model's ONNX file.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '../core/tensors.ts';
import { createRng } from '../core/seeded-rng.ts';
import type { Item } from '../pipeline/request.ts';
import type { Feature, FeatureKind, FeatureValue } from './features.ts';
import { embeddingOfRows, parseEmbeddingReference, type EmbeddingReference } from './embedding-reference.ts';
import type { SchemaBaseline } from './schema-counters.ts';
import {
  DEFAULT_VOCABULARY_SIZE,
  parseTextReferences,
  textReferencesOf,
  tokensOf,
  type TextReference,
} from './text-reference.ts';

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
  /** An embedding model's output vectors: their mean and spread (embedding-drift.ts). Absent for other models, and in older profiles. */
  readonly embedding?: EmbeddingReference;
  /** How often the reference data lacked each request field: schema drift's bands. Absent: it never did. */
  readonly schema?: SchemaBaseline;
  /** Per text field, a vocabulary and the OOV counts of held-out texts (text-reference.ts). Absent in older profiles: no OOV test. */
  readonly text?: Readonly<Record<string, TextReference>>;
  /** A profile captured from live traffic through the admin API: when (ISO 8601) and by whom. Absent in a built one. */
  readonly captured?: { readonly at: string; readonly by: string };
}

export interface Observation {
  readonly item: Item;
  readonly row: Row | undefined;
}

/**
 * A seeded uniform sample of at most `maxRows` observations (reservoir), read into features;
 * the text fields' vocabularies and held-out rates from every observation.
 */
export function buildProfile(
  model: { readonly name: string; readonly version: string },
  features: readonly Feature[],
  observations: readonly Observation[],
  options: {
    readonly source: string;
    readonly maxRows?: number;
    readonly seed?: number;
    /** An embedding model's output tensor: the sampled rows' vectors are summarised as `embedding`. */
    readonly embeddingOutput?: string | undefined;
    /** How often the data lacked each field (before any default or imputation filled it in). */
    readonly schema?: SchemaBaseline;
    /** Free-text fields: each gets a vocabulary of at most `vocabularySize` tokens. */
    readonly textFields?: readonly string[];
    readonly vocabularySize?: number;
  },
): ReferenceProfile {
  const sample = reservoir(observations, options.maxRows ?? MAX_REFERENCE_ROWS, options.seed ?? 1);
  const rows = sample.map(({ item, row }) => features.map((feature) => feature.read(item, row)));
  const embedding = embeddingOfRows(
    options.embeddingOutput,
    sample.map(({ row }) => row),
  );
  const profile = profileOfRows(model, features, rows, options.source);
  const textFields = options.textFields ?? [];
  const texts = observations.map(({ item }) => textFields.map((field) => tokensOf(item[field])));
  const text = textReferencesOf(textFields, texts, options.vocabularySize ?? DEFAULT_VOCABULARY_SIZE);
  return {
    ...profile,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(embedding === undefined ? {} : { embedding }),
    ...(Object.keys(text).length === 0 ? {} : { text }),
  };
}

/** A profile of rows already read into features: `rows[i][f]` is row i's value of `features[f]`. */
export function profileOfRows(
  model: { readonly name: string; readonly version: string },
  features: readonly Pick<Feature, 'name' | 'kind'>[],
  rows: ReadonlyArray<ReadonlyArray<FeatureValue | undefined>>,
  source: string,
): ReferenceProfile {
  const profile: Record<string, ReferenceFeature> = {};
  features.forEach((feature, index) => {
    const values = rows.map((row) => row[index]).filter((value) => value !== undefined);
    profile[feature.name] = summarise(feature.kind, values);
  });
  return { format: 1, model: model.name, version: model.version, source, rows: rows.length, features: profile };
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

/**
 * Writes the profile beside the model, atomically: a reader (a starting server, a monitor
 * made on first use) sees the old file or the new one, never half of one.
 */
export function writeProfile(modelDir: string, profile: ReferenceProfile): string {
  const file = join(modelDir, PROFILE_FILE);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(profile)}\n`);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return file;
}

/** The profile next to a model, or undefined when it has none; a malformed file is an error naming it. */
export function readProfile(modelDir: string): ReferenceProfile | undefined {
  const file = join(modelDir, PROFILE_FILE);
  if (!existsSync(file)) return undefined;
  return parseProfile(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** A profile read back from JSON (a file, or a remote model's pin in the state store); `where` names it in errors. */
export function parseProfile(json: unknown, where: string): ReferenceProfile {
  const parsed = (typeof json === 'object' && json !== null ? json : {}) as Partial<ReferenceProfile>;
  if (parsed.format !== 1 || typeof parsed.features !== 'object' || parsed.features === null)
    throw new Error(`${where} is not a sluice reference profile (format 1)`);
  const { schema, captured } = parsed;
  if (
    schema !== undefined &&
    !(typeof schema?.items === 'number' && typeof schema.missing === 'object' && schema.missing !== null)
  )
    throw new Error(`${where}: "schema" must be {"items": <number>, "missing": {<field>: <number>}}`);
  if (captured !== undefined && !(typeof captured?.at === 'string' && typeof captured.by === 'string'))
    throw new Error(`${where}: "captured" must be {"at": <ISO 8601 time>, "by": <key id>}`);
  try {
    if (parsed.embedding !== undefined) parseEmbeddingReference(parsed.embedding);
    if (parsed.text !== undefined) parseTextReferences(parsed.text);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  return parsed as ReferenceProfile;
}
