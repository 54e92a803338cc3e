/**
 * The BPE encoding sluice counts tokens with (`cl100k_base`), loaded on first use.
 * Counting is a fallback for upstreams that report no `usage`. The ranks ship inside the
 * package (nothing is fetched) and are loaded with `require`, so counting stays
 * synchronous; `sluice serve` builds the encoding before turning ready when it fronts an
 * OpenAI-dialect backend, so no request pays for it. Why cl100k and not o200k:
 * docs/design-notes.md.
 */
import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';

const ENCODING_NAME = 'cl100k_base';
/**
 * Token counts of pieces already seen. Text is mostly the same few thousand words, and
 * js-tiktoken's `encode` is slow per call (it rebuilds its regexes and joins byte arrays
 * into map keys every time). Bounded, and emptied when full so it follows the traffic.
 */
const MAX_CACHED_PIECES = 20_000;
const MAX_CACHED_PIECE_LENGTH = 32;
const pieceTokens = new Map<string, number>();

let loaded: { readonly tokenizer: Tiktoken; readonly pieces: RegExp } | undefined;

function load(): { readonly tokenizer: Tiktoken; readonly pieces: RegExp } {
  if (loaded === undefined) {
    const ranks = createRequire(import.meta.url)(`js-tiktoken/ranks/${ENCODING_NAME}`) as TiktokenBPE;
    // The regex `encode` splits text into pieces with, before it merges bytes within each.
    loaded = { tokenizer: new Tiktoken(ranks), pieces: new RegExp(ranks.pat_str, 'gu') };
  }
  return loaded;
}

export function encoding(): Tiktoken {
  return load().tokenizer;
}

/**
 * Builds the encoding now, so that the first stream of a server fronting OpenAI-dialect
 * backends does not pay for it with the event loop blocked.
 */
export function warmEncoding(): void {
  load();
}

/** Whether the encoding has been built yet: not by importing this module, only by counting or warming. */
export function encodingLoaded(): boolean {
  return loaded !== undefined;
}

/**
 * Tokens in `text` by the encoding alone: the sum over its pre-tokenizer pieces, as
 * `encode` counts them, each encoded once. Text that looks like a special token
 * (`<|endoftext|>`) is counted as the ordinary text it is, rather than refused.
 */
export function encodedLength(text: string): number {
  if (text === '') return 0;
  const { tokenizer, pieces } = load();
  let count = 0;
  for (const [piece] of text.matchAll(pieces)) {
    let tokens = pieceTokens.get(piece);
    if (tokens === undefined) {
      tokens = tokenizer.encode(piece, [], []).length;
      if (piece.length <= MAX_CACHED_PIECE_LENGTH) {
        if (pieceTokens.size >= MAX_CACHED_PIECES) pieceTokens.clear();
        pieceTokens.set(piece, tokens);
      }
    }
    count += tokens;
  }
  return count;
}
