/**
 * A window's text fields: per field, its items' tokens and the tokens outside the reference's
 * vocabulary (`OovCounts`, exact and mergeable), tested against the reference's held-out rate
 * when the window is (oov-drift.ts). A text is tokenised once, and only when its tokens are
 * wanted: counted against a vocabulary, or kept in the window's row sample for a reference
 * captured from it. Counting is then one Set lookup per token.
 */
import type { Item } from '../pipeline/request.ts';
import { oovDrift, oovFeatureName, type OovDrift } from './oov-drift.ts';
import type { ReferenceProfile } from './reference-profile.ts';
import { OovCounts } from './sketches/oov-counts.ts';
import { Vocabulary } from './sketches/text-summary.ts';
import { tokensOf } from './text-reference.ts';

/**
 * A sampled text keeps at most this many tokens, so a window's sample stays bounded (1,000
 * rows × 128 tokens per text field) whatever the texts' length; a captured reference's
 * vocabulary and held-out rate read those.
 */
export const MAX_SAMPLED_TOKENS = 128;

/** A feature the report names but could not test, and why. */
export interface UntestedFeature {
  readonly name: string;
  readonly reason: string;
}

/** Per text field, the reference's vocabulary (made once per reference, not per window). */
export function vocabulariesOf(reference: ReferenceProfile | undefined): ReadonlyMap<string, Vocabulary> {
  return new Map(
    Object.entries(reference?.text ?? {}).map(([field, text]) => [field, new Vocabulary(text.vocabulary)]),
  );
}

export class TextWindow {
  private readonly counts: ReadonlyArray<OovCounts>;

  constructor(
    private readonly fields: readonly string[],
    private readonly vocabularies: ReadonlyMap<string, Vocabulary>,
  ) {
    this.counts = fields.map(() => new OovCounts());
  }

  /** Counts an item's texts; when `keep`, answers their tokens (at most MAX_SAMPLED_TOKENS each) for the row sample. */
  observe(item: Item, keep: boolean): Array<readonly string[] | undefined> | undefined {
    const kept: Array<readonly string[] | undefined> | undefined = keep ? [] : undefined;
    this.fields.forEach((field, index) => {
      const vocabulary = this.vocabularies.get(field);
      const tokens = vocabulary === undefined && !keep ? undefined : tokensOf(item[field]);
      if (tokens !== undefined && vocabulary !== undefined) this.counts[index]?.add(tokens, vocabulary);
      kept?.push(
        tokens !== undefined && tokens.length > MAX_SAMPLED_TOKENS ? tokens.slice(0, MAX_SAMPLED_TOKENS) : tokens,
      );
    });
    return kept;
  }

  /** Each field's OOV entry against `reference`, for the fields it has a vocabulary of. */
  test(reference: ReferenceProfile): OovDrift[] {
    return this.fields.flatMap((field, index) => {
      const text = reference.text?.[field];
      const counts = this.counts[index];
      return text === undefined || counts === undefined ? [] : oovDrift(field, text, counts);
    });
  }

  /** The fields `reference` has no vocabulary of: their OOV rate is not tested. */
  untested(reference: ReferenceProfile): UntestedFeature[] {
    return this.fields
      .filter((field) => reference.text?.[field] === undefined)
      .map((field) => ({
        name: oovFeatureName(field),
        reason:
          `the reference profile has no vocabulary for "${field}" (made before sluice kept one, ` +
          'or from fewer than 4 texts): make a new profile to test its out-of-vocabulary rate',
      }));
  }
}
