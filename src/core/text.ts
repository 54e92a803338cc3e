/**
 * The text normalisation sluice's text models are trained and served with (and usage
 * counts read). Changing it changes every text model's inputs: rebuild the models after.
 *
 * In order of application:
 *  - NFKC folds compatibility forms (full-width letters, ligatures, "①") into plain ones;
 *  - `toLowerCase()` is locale-independent on purpose (the same bytes on every host);
 *  - typographic apostrophes (’ ‘ ʼ `) become "'", then an apostrophe survives only
 *    between two word characters ("don't", "patient's"); quotes around words go;
 *  - every other character that is not a letter, combining mark or digit separates
 *    words ("follow-up" → "follow up", "$120.50" → "120 50");
 *  - runs of whitespace collapse to one space, ends trimmed.
 */

const TYPOGRAPHIC_APOSTROPHES = /[\u2018\u2019\u02BC`]/g;
const NOT_WORD_OR_APOSTROPHE = /[^\p{L}\p{M}\p{N}'\s]+/gu;
const LONE_APOSTROPHE = /(?<![\p{L}\p{M}\p{N}])'|'(?![\p{L}\p{M}\p{N}])/gu;
const WHITESPACE = /\s+/gu;

export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(TYPOGRAPHIC_APOSTROPHES, "'")
    .replace(NOT_WORD_OR_APOSTROPHE, ' ')
    .replace(LONE_APOSTROPHE, ' ')
    .replace(WHITESPACE, ' ')
    .trim();
}

/** Texts whose words were split lately, kept so a text read twice in one request is split once. */
const RECENT_TEXTS = 256;
/** Longer texts are split again rather than kept: the cache stays under ~1 MB of text. */
const MAX_KEPT_CHARS = 4_096;
const recentWords = new Map<string, readonly string[]>();

/**
 * A text's words, normalised: what the text models hash and what data quality counts
 * against a vocabulary. The model's preprocessing and the quality window read the same
 * request's texts a few milliseconds apart, so the last few hundred texts' words are kept
 * (by the string, whose hash V8 keeps) and shared: callers must not change the array.
 */
export function textWords(text: string): readonly string[] {
  const known = recentWords.get(text);
  if (known !== undefined) return known;
  const normal = normalizeText(text);
  const words: readonly string[] = normal === '' ? [] : normal.split(' ');
  if (text.length > MAX_KEPT_CHARS) return words;
  if (recentWords.size >= RECENT_TEXTS) recentWords.delete(recentWords.keys().next().value as string);
  recentWords.set(text, words);
  return words;
}
