/**
 * The BPE encoding sluice counts tokens with, loaded on first use.
 *
 * Why `cl100k_base` (GPT-4 / GPT-3.5) and not `o200k_base` (GPT-4o and later): counting
 * is a fallback for upstreams that report no `usage`, and those are mostly open-weight
 * servers (vLLM, TGI, llama.cpp) whose own vocabularies neither encoding matches, while
 * OpenAI itself always reports usage. Both give English counts within a few per cent of
 * each other, and cl100k costs half as much to hold. Measured on the 2-core dev machine,
 * Node 20.20, js-tiktoken 1.0.21, building the encoding (after `gc()`):
 *
 *   encoding      build    heap used   RSS
 *   cl100k_base   ~175 ms  +32 MB      +90 MB
 *   o200k_base    ~400 ms  +65 MB      +150 MB
 *
 * The ranks ship inside the package (`js-tiktoken/ranks/*`; nothing is fetched), and only
 * this one is loaded, with `require` so that counting stays synchronous. Loading lazily
 * keeps all of that off servers that never count; `sluice serve` builds it before turning
 * ready when it fronts an OpenAI-dialect backend, so no request pays for it.
 */
import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';

const ENCODING_NAME = 'cl100k_base';
/**
 * Token counts of pieces already seen. Text is mostly the same few thousand words, and
 * js-tiktoken's `encode` costs ~2 µs a token (it rebuilds its regexes and joins byte
 * arrays into map keys on every call): with this cache two short sentences take ~3 µs
 * instead of ~45. Bounded (~2 MB), and emptied when full so it follows the traffic.
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
 * backends does not pay for it (a few hundred ms with the event loop blocked).
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
