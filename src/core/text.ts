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
