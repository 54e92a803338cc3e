/**
 * Whether a request's preprocessing is worth sending to the `PreprocessPool`: only
 * when running it on the main thread would stall the event loop noticeably (more
 * than BLOCKING_BUDGET_NS). Below that, the round trip to a worker costs more than it saves.
 *
 * Only text hashing is ever that expensive. `textHashRow` with triage-large settings
 * (word_ngrams [1, 2], char_ngrams 3, max_tokens 256) on the 2-core dev machine,
 * Node 20.20, English patient messages from the intent generator, medians of 9 runs:
 *
 *   item length   µs per item        features   5 ms is…
 *                 ASCII   two-byte   per item   ASCII                 two-byte
 *        30         7.2     10.2        35      694 items, 21k chars  491 items, 15k chars
 *       100        17.7     20.7       116      283 items, 28k chars  241 items, 24k chars
 *       500        40.4     50.7       256      124 items, 62k chars   99 items, 49k chars
 *     2,000        75       105        256       67 items, 133k chars  47 items, 95k chars
 *    20,000       376       756        256       13 items, 266k chars   7 items, 132k chars
 *
 * ("two-byte": the same text after one "I’m"; a single non-Latin-1 character, such as
 * a phone's typographic apostrophe, makes V8 store and scan the whole string as UTF-16.)
 * Two costs, then: normalising and splitting the whole text, ~18 ns per character
 * (ASCII) or ~36 ns (two-byte); and hashing features, ~120 ns each, which stop at
 * `max_tokens` (triage-large yields ~1.16 features per character, triage-small ~0.18).
 * So 5 ms is anything from 15,000 characters of short messages to 266,000 of long
 * ASCII texts, and the estimate below models both costs rather than counting characters.
 * It assumes the two-byte rate, since telling the two apart would mean scanning the text:
 * a long pure-ASCII batch therefore offloads from ~2.5 ms of real work, which costs
 * only a worker round trip, while a batch that stays on the loop stalls every request.
 */
import type { ModelSpec, TextHashPreprocessing } from '../models/model-spec.ts';
import type { Item } from './index.ts';

export const BLOCKING_BUDGET_NS = 5_000_000;
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
