/**
 * Whether a request's preprocessing is worth sending to the `PreprocessPool`: only
 * when running it on the main thread would stall the event loop noticeably (more
 * than BLOCKING_BUDGET_NS). Below that, the round trip to a worker costs more than it saves.
 *
 * Only text hashing is ever that expensive. Its cost has two parts, measured with
 * `textHashRow` on the 2-core dev machine (Node 20.20, English patient messages from
 * the intent generator, triage-large settings: word_ngrams [1, 2], char_ngrams 3,
 * max_tokens 256; medians of 7 runs):
 *
 *   item length   µs per item   features per item   → items in 5 ms   chars in 5 ms
 *        30 chars        7.3            35                  680            20,000
 *       100 chars       16.5           116                  300            30,000
 *       500 chars       38.5           256 (max_tokens)     130            65,000
 *     2,000 chars       65             256                   77           155,000
 *    20,000 chars      360             256                   14           280,000
 *
 *  - normalising and splitting the whole text: ~18 ns per character, at any length;
 *  - hashing features: ~120 ns per feature, and features stop at `max_tokens`;
 *    triage-large yields ~1.16 features per character (triage-small ~0.18).
 * So "5 ms" is 280,000 characters of long texts but only 30,000 of short messages,
 * and the estimate below models both parts rather than counting characters alone.
 * Non-Latin text (accented, Cyrillic, CJK) normalises at ~36 ns per character, so
 * a batch of it offloads only at ~8 ms of work: still well under one long GC pause.
 */
import type { ModelSpec, TextHashPreprocessing } from '../models/model-spec.ts';
import type { Item } from './index.ts';

export const BLOCKING_BUDGET_NS = 5_000_000;
const NORMALIZE_NS_PER_CHAR = 18;
const HASH_NS_PER_FEATURE = 120;
/** Call, allocation and row-building cost of any item, however short. */
const NS_PER_ITEM = 1_000;
/** Mean word length plus one separator in the patient-message corpus. */
const CHARS_PER_WORD = 5.6;

export function shouldOffload(spec: ModelSpec, items: readonly Item[]): boolean {
  const preprocessing = spec.preprocessing;
  switch (preprocessing.kind) {
    case 'text-hash':
      return estimatedTextHashNs(preprocessing, items) > BLOCKING_BUDGET_NS;
    case 'tabular': // a few multiply-adds per field
    case 'none': // a copy into a typed array
      return false;
  }
}

/** Estimated main-thread time to hash `items`; stops counting once over the budget. */
export function estimatedTextHashNs(spec: TextHashPreprocessing, items: readonly Item[]): number {
  const featuresPerChar = featuresPerCharacter(spec);
  let total = 0;
  for (const item of items) {
    const text = item[spec.input];
    const length = typeof text === 'string' ? text.length : 0;
    const features = Math.min(featuresPerChar * length, spec.max_tokens);
    total += NS_PER_ITEM + NORMALIZE_NS_PER_CHAR * length + HASH_NS_PER_FEATURE * features;
    if (total > BLOCKING_BUDGET_NS) break;
  }
  return total;
}

/** Word n-grams ending at each word, plus that word's padded character n-grams. */
function featuresPerCharacter(spec: TextHashPreprocessing): number {
  const wordGrams = new Set(spec.word_ngrams).size;
  const meanWordLength = CHARS_PER_WORD - 1;
  const charGrams = spec.char_ngrams > 0 ? Math.max(1, meanWordLength + 3 - spec.char_ngrams) : 0;
  return (wordGrams + charGrams) / CHARS_PER_WORD;
}
