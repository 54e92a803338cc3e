/**
 * Text → hashed n-gram ids, the feature extractor of every text model.
 *
 * The trainers in `src/offline/training` call these same functions, so the serving path
 * computes exactly the ids a model was trained on. Changing anything here changes
 * every text model's inputs: rebuild the models (and bump their versions) after.
 *
 * Text is normalised first (src/core/text.ts).
 */
import { MAX_WORD_NGRAM, type TextHashPreprocessing } from '../models/model-spec.ts';
import type { Row } from '../../../core/tensors.ts';
import { FNV_OFFSET, fnv1a32, fnvCodePoint } from '../../../core/fnv.ts';
import { normalizeText, textWords } from '../../../core/text.ts';

export { fnv1a32, normalizeText, textWords };

/** Stands for a text with no words, so that every row has at least one token. */
const EMPTY_TEXT_KEY = '\u0000empty';
/** Prefix of character n-gram keys; normalisation removes "#", so no word n-gram can collide. */
const CHAR_GRAM_PREFIX = '#';

const SPACE = 0x20;
const WORD_START = 0x3c; // "<"
const WORD_END = 0x3e; // ">"

type HashSpec = Pick<TextHashPreprocessing, 'buckets' | 'word_ngrams' | 'char_ngrams' | 'max_tokens'>;

/** Maps a feature key's hash into 1..buckets-1; id 0 stays free for padding. */
function bucketOf(hash: number, buckets: number): number {
  return 1 + ((hash >>> 0) % (buckets - 1));
}

const EMPTY_TEXT_HASH = fnv1a32(EMPTY_TEXT_KEY);
const CHAR_GRAM_HASH = fnv1a32(CHAR_GRAM_PREFIX);

/**
 * A text's words as code points, laid end to end with each word's start offset: the
 * feature keys below are hashed from here, never built as strings (a text of 100
 * words would otherwise allocate some 500 short-lived strings per request).
 */
class WordCodes {
  codes = new Int32Array(1024);
  starts = new Int32Array(129);
  count = 0;

  fill(words: readonly string[]): void {
    let length = 0;
    for (const word of words) length += word.length;
    if (this.codes.length < length) this.codes = new Int32Array(length * 2);
    if (this.starts.length < words.length + 1) this.starts = new Int32Array(words.length * 2 + 1);
    let at = 0;
    for (let w = 0; w < words.length; w++) {
      const word = words[w] ?? '';
      this.starts[w] = at;
      for (let index = 0; index < word.length; index++) {
        const code = word.codePointAt(index) ?? 0;
        if (code > 0xffff) index++;
        this.codes[at++] = code;
      }
    }
    this.starts[words.length] = at;
    this.count = words.length;
  }

  start(word: number): number {
    return this.starts[word] ?? 0;
  }

  end(word: number): number {
    return this.starts[word + 1] ?? 0;
  }

  /** FNV state after `hash` is fed the code points of word `word`. */
  feedWord(hash: number, word: number): number {
    for (let at = this.start(word), end = this.end(word); at < end; at++)
      hash = fnvCodePoint(hash, this.codes[at] ?? 0);
    return hash;
  }

  /** Code point `index` of word `word` padded with "<" and ">" (index 0 is "<"). */
  padded(word: number, index: number): number {
    const length = this.end(word) - this.start(word);
    if (index === 0) return WORD_START;
    if (index === length + 1) return WORD_END;
    return this.codes[this.start(word) + index - 1] ?? 0;
  }
}

/** Reused by every call: feature extraction is synchronous, so one scratch space per thread is enough. */
const scratch = new WordCodes();
/**
 * Features are emitted word by word: the word n-grams that end at word i (lowest
 * order first; the key is the words joined by one space), then word i's character
 * n-grams (the key is "#" and n code points of the word padded with "<" and ">": "<ab"
 * "abc" "bc>"; a padded word shorter than n is one key, so short words still count).
 * Truncating to `max_tokens` therefore keeps the features of a prefix of the text,
 * never a random subset. A text without words is one key, "\u0000empty".
 */
export function textHashIds(text: string, spec: HashSpec): Int32Array {
  const words = textWords(text);
  const charN = spec.char_ngrams ?? 0;
  const ids = new Int32Array(spec.max_tokens);
  let count = 0;
  const push = (hash: number): boolean => {
    ids[count++] = bucketOf(hash, spec.buckets);
    return count >= spec.max_tokens;
  };
  // The spec's orders as bits, read once a call rather than searched once a word.
  let orders = 0;
  for (const order of spec.word_ngrams) orders |= 1 << order;
  scratch.fill(words);
  wordLoop: for (let end = 0; end < words.length; end++) {
    // Lowest order first, each once however often the spec lists it (orders are 1..MAX_WORD_NGRAM).
    for (let order = 1; order <= Math.min(MAX_WORD_NGRAM, end + 1); order++) {
      if ((orders & (1 << order)) === 0) continue;
      let hash = FNV_OFFSET;
      for (let word = end + 1 - order; word <= end; word++) {
        if (word > end + 1 - order) hash = fnvCodePoint(hash, SPACE);
        hash = scratch.feedWord(hash, word);
      }
      if (push(hash)) break wordLoop;
    }
    if (charN === 0) continue;
    const paddedLength = scratch.end(end) - scratch.start(end) + 2;
    const grams = paddedLength <= charN ? 1 : paddedLength - charN + 1;
    const gramLength = Math.min(charN, paddedLength);
    for (let gram = 0; gram < grams; gram++) {
      let hash = CHAR_GRAM_HASH;
      for (let index = gram; index < gram + gramLength; index++) hash = fnvCodePoint(hash, scratch.padded(end, index));
      if (push(hash)) break wordLoop;
    }
  }
  if (count === 0) push(EMPTY_TEXT_HASH);
  return ids.slice(0, count);
}

/** ids ≥ 0 as int64 written through their 32-bit halves: no BigInt per element. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function int64Ids(ids: Int32Array): BigInt64Array {
  const data = new BigInt64Array(ids.length);
  if (!LITTLE_ENDIAN) {
    for (let index = 0; index < ids.length; index++) data[index] = BigInt(ids[index] ?? 0);
    return data;
  }
  const halves = new Int32Array(data.buffer);
  for (let index = 0; index < ids.length; index++) halves[2 * index] = ids[index] ?? 0;
  return data;
}

/** One item's row: int64 ids `[L]` and a float32 mask of ones `[L]`, L ≥ 1. */
export function textHashRow(text: string, spec: TextHashPreprocessing): Row {
  const ids = textHashIds(text, spec);
  return {
    [spec.ids_tensor]: { dtype: 'int64', data: int64Ids(ids), dims: [ids.length] },
    [spec.mask_tensor]: { dtype: 'float32', data: new Float32Array(ids.length).fill(1), dims: [ids.length] },
  };
}
