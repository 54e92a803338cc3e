/**
 * The reference side of a text field's out-of-vocabulary rate, as a reference profile stores
 * it: a vocabulary, and the OOV counts of texts the vocabulary was not made from. The
 * reference texts are split in two, alternately (every other text, so a file in any order,
 * sorted by topic say, feeds both halves alike): the first half's most frequent tokens are the
 * vocabulary, and the rate is measured on the second. Measured on the texts the vocabulary
 * came from, the rate would be 0 by construction and any live window would read as drift.
 * A vocabulary made of live traffic keeps only words many texts share (`TRAFFIC_VOCABULARY`).
 */
import { OovCounts, type OovCountsJson } from './sketches/oov-counts.ts';
import { tokenize } from './sketches/text-summary.ts';

/** Tokens kept in a profile's vocabulary by default: 10,000 words, about 100 KB of JSON. */
export const DEFAULT_VOCABULARY_SIZE = 10_000;

export interface TextReference {
  /** The vocabulary half's most frequent tokens, most frequent first (ties by code unit order). */
  readonly vocabulary: readonly string[];
  /** The texts the vocabulary was counted from. */
  readonly vocabulary_items: number;
  /** The held-out half's OOV counts against the vocabulary: the reference rate and its spread. */
  readonly held_out: OovCountsJson;
}

/** Per text: its tokens, or undefined when the item had no such text (not counted in either half). */
export type TokenLists = ReadonlyArray<readonly string[] | undefined>;

/** A field value's tokens; undefined when it is not a text. */
export function tokensOf(value: unknown): readonly string[] | undefined {
  return typeof value === 'string' ? tokenize(value) : undefined;
}

/** Fewer texts than this give no spread to test against (two per half). */
const MIN_TEXTS = 4;

/**
 * Which tokens a vocabulary may keep. One made of live traffic (a local capture, a remote
 * model's prompts) is kept in a file or the state store, so it must not keep what identifies
 * a person: a token enters only when `minTexts` distinct texts hold it (a name, an address,
 * a piece of an e-mail address is in one person's few texts), and never when it holds a digit
 * or an `@` (phone, record, card and ID numbers, dates, e-mail addresses) (docs/security.md).
 */
export interface VocabularyRule {
  readonly minTexts: number;
  readonly identifiersOut: boolean;
}

/** A vocabulary made of live traffic: words of five texts at least, none with a digit or an `@`. */
export const TRAFFIC_VOCABULARY: VocabularyRule = { minTexts: 5, identifiersOut: true };
/** A vocabulary made offline from a model's data (a build, `sluice profile`): every word. */
export const DATA_VOCABULARY: VocabularyRule = { minTexts: 1, identifiersOut: false };

const IDENTIFYING = /[\p{N}@]/u;

/** A field's reference from its texts' tokens; undefined with fewer than four texts. */
export function textReferenceOf(
  texts: TokenLists,
  vocabularySize: number,
  rule: VocabularyRule = DATA_VOCABULARY,
): TextReference | undefined {
  const present = texts.filter((tokens) => tokens !== undefined);
  if (present.length < MIN_TEXTS) return undefined;
  const vocabulary = vocabularyOf(
    present.filter((_, index) => index % 2 === 0),
    vocabularySize,
    rule,
  );
  const known = new Set(vocabulary);
  const heldOut = new OovCounts();
  for (let index = 1; index < present.length; index += 2) heldOut.add(present[index] ?? [], known);
  return { vocabulary, vocabulary_items: Math.ceil(present.length / 2), held_out: heldOut.toJSON() };
}

/** The `size` most frequent tokens of `texts` the rule lets in, most frequent first (ties by code unit order). */
function vocabularyOf(texts: ReadonlyArray<readonly string[]>, size: number, rule: VocabularyRule): string[] {
  const frequency = new Map<string, number>();
  // Per token, the texts holding it, and the last one counted.
  const holders = new Map<string, number>();
  const last = new Map<string, number>();
  texts.forEach((tokens, text) => {
    for (const token of tokens) {
      frequency.set(token, (frequency.get(token) ?? 0) + 1);
      if (last.get(token) === text) continue;
      last.set(token, text);
      holders.set(token, (holders.get(token) ?? 0) + 1);
    }
  });
  const allowed = ([token]: [string, number]): boolean =>
    (holders.get(token) ?? 0) >= rule.minTexts && !(rule.identifiersOut && IDENTIFYING.test(token));
  return [...frequency]
    .filter(allowed)
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, size)
    .map(([token]) => token);
}

/** Every text field's reference; `rows[i][f]` is text i's tokens of `fields[f]`. Fields with too few texts are left out. */
export function textReferencesOf(
  fields: readonly string[],
  rows: ReadonlyArray<TokenLists>,
  vocabularySize: number,
  rule: VocabularyRule = DATA_VOCABULARY,
): Record<string, TextReference> {
  const references: Record<string, TextReference> = {};
  fields.forEach((field, index) => {
    const reference = textReferenceOf(
      rows.map((row) => row[index]),
      vocabularySize,
      rule,
    );
    if (reference !== undefined) references[field] = reference;
  });
  return references;
}

/** A profile's `text` read from its file; throws naming the field and what is wrong. */
export function parseTextReferences(value: unknown): Record<string, TextReference> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('"text" must be an object of text fields');
  const references: Record<string, TextReference> = {};
  for (const [field, entry] of Object.entries(value as Record<string, unknown>)) {
    const candidate = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<TextReference>;
    const { vocabulary, vocabulary_items: items, held_out: heldOut } = candidate;
    if (!Array.isArray(vocabulary) || !vocabulary.every((token) => typeof token === 'string'))
      throw new Error(`text.${field}.vocabulary must be a list of tokens`);
    if (typeof items !== 'number' || !Number.isInteger(items) || items < 0)
      throw new Error(`text.${field}.vocabulary_items must be a whole number`);
    try {
      references[field] = { vocabulary, vocabulary_items: items, held_out: OovCounts.fromJSON(heldOut).toJSON() };
    } catch (error) {
      throw new Error(`text.${field}.held_out: ${(error as Error).message}`);
    }
  }
  return references;
}
