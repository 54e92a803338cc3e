/**
 * Text → hashed n-gram ids, the feature extractor of every text model.
 *
 * The trainers in `src/training` call these same functions, so the serving path
 * computes exactly the ids a model was trained on. Changing anything here changes
 * every text model's inputs: rebuild the models (and bump their versions) after.
 *
 * Choices, in order of application:
 *  - NFKC folds compatibility forms (full-width letters, ligatures, "①") into plain ones;
 *  - `toLowerCase()` is locale-independent on purpose (the same bytes on every host);
 *  - typographic apostrophes (’ ‘ ʼ `) become "'", then an apostrophe survives only
 *    between two word characters ("don't", "patient's"); quotes around words go;
 *  - every other character that is not a letter, combining mark or digit separates
 *    words ("follow-up" → "follow up", "$120.50" → "120 50");
 *  - runs of whitespace collapse to one space, ends trimmed.
 */
import type { TextHashPreprocessing } from '../models/model-spec.ts';
import type { Row } from '../tensors.ts';

const TYPOGRAPHIC_APOSTROPHES = /[\u2018\u2019\u02BC`]/g;
const NOT_WORD_OR_APOSTROPHE = /[^\p{L}\p{M}\p{N}'\s]+/gu;
const LONE_APOSTROPHE = /(?<![\p{L}\p{M}\p{N}])'|'(?![\p{L}\p{M}\p{N}])/gu;
const WHITESPACE = /\s+/gu;

/** Stands for a text with no words, so that every row has at least one token. */
const EMPTY_TEXT_KEY = '\u0000empty';
/** Prefix of character n-gram keys; normalisation removes "#", so no word n-gram can collide. */
const CHAR_GRAM_PREFIX = '#';

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

export function textWords(text: string): string[] {
  const normalized = normalizeText(text);
  return normalized === '' ? [] : normalized.split(' ');
}

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `text` (lone surrogates encoded as 3 bytes,
 * like WTF-8), so any language can reproduce the ids from the spec alone.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    const code = text.codePointAt(index) ?? 0;
    if (code > 0xffff) index++;
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, 0x01000193);
    } else if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
    } else if (code < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (code >> 12)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
    } else {
      hash = Math.imul(hash ^ (0xf0 | (code >> 18)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
    }
  }
  return hash >>> 0;
}

type HashSpec = Pick<TextHashPreprocessing, 'buckets' | 'word_ngrams' | 'char_ngrams' | 'max_tokens'>;

/** Maps a feature key into 1..buckets-1; id 0 stays free for padding. */
function bucketOf(key: string, buckets: number): number {
  return 1 + (fnv1a32(key) % (buckets - 1));
}

/**
 * Character n-grams of one word padded with "<" and ">" ("<ab" "abc" "bc>").
 * A padded word shorter than n yields itself, so short words still contribute.
 */
export function charNgrams(word: string, n: number): string[] {
  const padded = Array.from(`<${word}>`);
  if (padded.length <= n) return [padded.join('')];
  const grams: string[] = [];
  for (let start = 0; start + n <= padded.length; start++) grams.push(padded.slice(start, start + n).join(''));
  return grams;
}

/**
 * Features are emitted word by word: the word n-grams that end at word i (lowest
 * order first), then word i's character n-grams. Truncating to `max_tokens`
 * therefore keeps the features of a prefix of the text, never a random subset.
 */
export function textHashIds(text: string, spec: HashSpec): Int32Array {
  const words = textWords(text);
  const orders = [...new Set(spec.word_ngrams)].sort((a, b) => a - b);
  const charN = spec.char_ngrams ?? 0;
  const ids: number[] = [];
  const push = (key: string): boolean => {
    ids.push(bucketOf(key, spec.buckets));
    return ids.length >= spec.max_tokens;
  };
  wordLoop: for (let end = 0; end < words.length; end++) {
    for (const order of orders) {
      if (order > end + 1) continue;
      if (push(words.slice(end + 1 - order, end + 1).join(' '))) break wordLoop;
    }
    if (charN === 0) continue;
    for (const gram of charNgrams(words[end] ?? '', charN)) {
      if (push(CHAR_GRAM_PREFIX + gram)) break wordLoop;
    }
  }
  if (ids.length === 0) ids.push(bucketOf(EMPTY_TEXT_KEY, spec.buckets));
  return Int32Array.from(ids);
}

/** One item's row: int64 ids `[L]` and a float32 mask of ones `[L]`, L ≥ 1. */
export function textHashRow(text: string, spec: TextHashPreprocessing): Row {
  const ids = textHashIds(text, spec);
  const data = new BigInt64Array(ids.length);
  for (let index = 0; index < ids.length; index++) data[index] = BigInt(ids[index] ?? 0);
  return {
    [spec.ids_tensor]: { dtype: 'int64', data, dims: [ids.length] },
    [spec.mask_tensor]: { dtype: 'float32', data: new Float32Array(ids.length).fill(1), dims: [ids.length] },
  };
}
