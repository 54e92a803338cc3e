/**
 * Counting tokens of a text that arrives in pieces (a stream) or is large (a prompt),
 * without holding it whole and without stalling the event loop.
 *
 * The cut rule. cl100k's pre-tokenizer (the regex that splits text into pieces before
 * BPE merges bytes inside each piece) only ever puts a space that is followed by a
 * non-space at the start of a piece: "a b" is "a" + " b", and nothing before the space
 * looks past it except `\s+(?!\S)`, which sees whitespace there either way. So a text
 * cut just before such a space has the same tokens in two parts as in one, and a stream
 * is counted up to its last such space as each chunk passes; the rest waits.
 *
 *   "The quick br" → count "The quick" (2), keep " br"
 *   " br" + "own fox" → count " brown" (1), keep " fox"    …   total() counts the rest
 *
 * A run of more than MAX_RUN characters without such a space (a long URL, base64, CJK
 * text, "aaaa…") is counted in slices of MAX_RUN instead: js-tiktoken merges a piece in
 * time quadratic in its length, so one long word in a large body would stall the server.
 * A slice can miss the merge across its cut, so such runs are counted approximately
 * (within about a token per slice); everything else is exact. The slicing depends on the
 * text only, so a stream counts the same however it is split into chunks.
 */
import { encodedLength } from './encoding.ts';

/** Short enough that merging a run stays cheap however adversarial the text (docs/design-notes.md). */
const MAX_RUN = 64;
/** Large texts are pushed in slices, and the event loop gets a turn once a turn's budget is spent. */
const SLICE_CHARS = 1024;
const TURN_BUDGET_MS = 4;
const SAFE_CUT = / (?=\S)/g;

export class TokenCounter {
  private counted = 0;
  /** Text since the last cut, which the next chunk may still change the split of. */
  private pending = '';

  push(text: string): void {
    if (text === '') return;
    this.pending += text;
    const cuts = Array.from(this.pending.matchAll(SAFE_CUT), (match) => match.index);
    const last = cuts.at(-1);
    if (last !== undefined && last > 0) {
      this.counted += countSegments(this.pending, cuts);
      this.pending = this.pending.slice(last);
    }
    while (this.pending.length > MAX_RUN) {
      const end = sliceEnd(this.pending);
      this.counted += encodedLength(this.pending.slice(0, end));
      this.pending = this.pending.slice(end);
    }
  }

  /** Tokens in everything pushed so far. */
  total(): number {
    return this.counted + encodedLength(this.pending);
  }
}

/** Tokens in `text` (exact but for runs longer than MAX_RUN; see above). */
export function countTokens(text: string): number {
  const counter = new TokenCounter();
  counter.push(text);
  return counter.total();
}

/**
 * The tokens of all `texts`, each counted on its own, yielding to the event loop every
 * TURN_BUDGET_MS so that a large prompt does not hold up other requests (the few short
 * texts of most requests are counted without a yield).
 */
export async function countTokensYielding(texts: Iterable<string>): Promise<number> {
  let total = 0;
  let turnStarted = performance.now();
  for (const text of texts) {
    const counter = new TokenCounter();
    for (let start = 0; start < text.length; start += SLICE_CHARS) {
      if (performance.now() - turnStarted >= TURN_BUDGET_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turnStarted = performance.now();
      }
      counter.push(text.slice(start, start + SLICE_CHARS));
    }
    total += counter.total();
  }
  return total;
}

/**
 * Tokens in `text` up to its last cut: the segments between cuts, short ones encoded
 * together (the cut rule makes that equal to one by one), long ones in slices.
 */
function countSegments(text: string, cuts: readonly number[]): number {
  let count = 0;
  let batchStart = 0;
  let segmentStart = 0;
  for (const cut of cuts) {
    if (cut - segmentStart > MAX_RUN) {
      count += encodedLength(text.slice(batchStart, segmentStart)) + countLongRun(text.slice(segmentStart, cut));
      batchStart = cut;
    }
    segmentStart = cut;
  }
  return count + encodedLength(text.slice(batchStart, segmentStart));
}

function countLongRun(run: string): number {
  let count = 0;
  let rest = run;
  while (rest.length > MAX_RUN) {
    const end = sliceEnd(rest);
    count += encodedLength(rest.slice(0, end));
    rest = rest.slice(end);
  }
  return count + encodedLength(rest);
}

/** MAX_RUN, or one less so as not to split a surrogate pair (an emoji) in two. */
function sliceEnd(text: string): number {
  const last = text.charCodeAt(MAX_RUN - 1);
  return last >= 0xd800 && last <= 0xdbff ? MAX_RUN - 1 : MAX_RUN;
}
