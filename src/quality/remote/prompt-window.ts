/**
 * The prompts of one window of a remote model's traffic, for their out-of-vocabulary rate
 * (docs/quality.md#remote-models): each request is one item, its user texts' words counted
 * against the vocabulary of the reference in force (`OovCounts`, one Set lookup a word), and
 * a uniform sample of them kept (at most 1,000 prompts of at most 128 words) so that a
 * reference made of this window has a vocabulary of its own: every other sampled prompt's
 * most frequent words, the rate measured on the prompts in between (text-reference.ts), as a
 * local text field's reference is captured. Only words that five of those prompts hold, and
 * none with a digit or an `@`, enter it: a pin keeps it in the state store.
 *
 * The reference is JSON (a profile's `text.prompt`), so one read back from a store serves
 * as well as one made here. A reference put in force while the window is open restarts the
 * window's counts against its vocabulary: a rate is only ever tested against the vocabulary
 * it was counted with.
 */
import { oovDrift, oovFeatureName, type OovDrift } from '../oov-drift.ts';
import { MAX_REFERENCE_ROWS, type ReferenceProfile } from '../reference-profile.ts';
import { RowSample } from '../row-sample.ts';
import { OovCounts } from '../sketches/oov-counts.ts';
import { Vocabulary } from '../sketches/text-summary.ts';
import { textReferenceOf, TRAFFIC_VOCABULARY, type TextReference } from '../text-reference.ts';
import { MAX_SAMPLED_TOKENS, type UntestedFeature } from '../text-window.ts';

/** The field a remote model's prompt vocabulary is kept under (`text.prompt`), reported as `prompt.oov_rate`. */
export const PROMPT_FIELD = 'prompt';

export class PromptWindow {
  private counts = new OovCounts();
  /** The reference whose vocabulary `counts` hold the words of; undefined: none was in force. */
  private countedAgainst: TextReference | undefined;
  private readonly sample = new RowSample<readonly string[]>(MAX_REFERENCE_ROWS);

  /** One request's prompt words, counted against `reference`'s vocabulary (when there is one) and maybe sampled. */
  observe(words: readonly string[], reference: TextReference | undefined): void {
    if (reference !== this.countedAgainst) {
      this.countedAgainst = reference;
      this.counts = new OovCounts();
    }
    if (reference !== undefined) this.counts.add(words, vocabularyOf(reference));
    const slot = this.sample.slot();
    if (slot !== undefined)
      this.sample.put(slot, words.length > MAX_SAMPLED_TOKENS ? words.slice(0, MAX_SAMPLED_TOKENS) : words);
  }

  /** Requests whose prompts were seen. */
  get prompts(): number {
    return this.sample.seen;
  }

  /** This window's prompts as a reference (words of five prompts at least, none with a digit or an `@`); undefined with fewer than four. */
  reference(vocabularySize: number): TextReference | undefined {
    return textReferenceOf(this.sample.rows, vocabularySize, TRAFFIC_VOCABULARY);
  }

  /** The OOV entry against `reference`, when it is the one this window counted against and both hold words. */
  test(reference: TextReference | undefined): OovDrift[] {
    if (reference === undefined || reference !== this.countedAgainst) return [];
    return oovDrift(PROMPT_FIELD, reference, this.counts);
  }

  /** The feature as untested when the window saw prompts but the reference keeps no vocabulary of them. */
  untested(reference: TextReference | undefined): UntestedFeature[] {
    if (reference !== undefined || this.prompts === 0) return [];
    const reason =
      'the reference keeps no vocabulary of prompts (pinned before sluice kept one, or made of fewer than 4 ' +
      "prompts): pin a newer window to test the prompts' out-of-vocabulary rate";
    return [{ name: oovFeatureName(PROMPT_FIELD), reason }];
  }
}

/** `profile` with the window's prompts as `text.prompt`; the profile as it is when the window had fewer than four. */
export function withPromptVocabulary(
  profile: ReferenceProfile,
  prompts: PromptWindow,
  vocabularySize: number,
): ReferenceProfile {
  const text = prompts.reference(vocabularySize);
  return text === undefined ? profile : { ...profile, text: { ...profile.text, [PROMPT_FIELD]: text } };
}

/** A reference's vocabulary as a set, made once per reference (a store's copy is another reference). */
const vocabularies = new WeakMap<TextReference, Vocabulary>();

function vocabularyOf(reference: TextReference): Vocabulary {
  let vocabulary = vocabularies.get(reference);
  if (vocabulary === undefined) vocabularies.set(reference, (vocabulary = new Vocabulary(reference.vocabulary)));
  return vocabulary;
}
