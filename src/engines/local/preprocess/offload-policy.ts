/**
 * Whether a request's preprocessing is worth sending to the `PreprocessPool`: only when
 * running it on the main thread would stall the event loop longer than
 * BLOCKING_BUDGET_NS; below that, the round trip to a worker costs more than it saves.
 *
 * Only text hashing is ever that expensive. Its estimate models both of its costs,
 * normalising every character and hashing each feature up to `max_tokens`, at the slower
 * two-byte (UTF-16) string rate, since telling the two apart would mean scanning the text.
 */
import type { ModelSpec, TextHashPreprocessing } from '../models/model-spec.ts';
import type { Item } from './index.ts';

export const BLOCKING_BUDGET_NS = 5_000_000;
// Per-character and per-feature costs timed on the development machine (docs/design-notes.md).
const NORMALIZE_NS_PER_CHAR = 36;
const HASH_NS_PER_FEATURE = 120;
/** Call, allocation and row-building cost of any item, however short. */
const NS_PER_ITEM = 2_000;
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
