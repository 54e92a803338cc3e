/**
 * Token counting: one rule (BPE `cl100k_base`, see encoding.ts) for the prompt and output
 * tokens of remote calls whose upstream reports no `usage`. Local embedding models report
 * the words their own preprocessing sees instead: that is their real input.
 *
 * The simulator (`src/offline/sim/tokenizer.ts`) keeps its own word tokenizer on purpose: it
 * builds its answers token by token from a word list, and its `usage` must re-tokenize
 * to exactly the text it streamed, which a BPE vocabulary would not give it (nor should
 * a test double depend on the gateway's tokenizer). Sluice counts the simulator's text
 * with this module only when the simulator's usage is missing.
 */
export { countTokens, countTokensYielding, TokenCounter } from './token-counter.ts';
export { countAnswerTokens, countChatPromptTokens, countCompletionPromptTokens } from './prompt-tokens.ts';
export { encodingLoaded, warmEncoding } from './encoding.ts';
