/**
 * Token counting: one rule (BPE `cl100k_base`, see encoding.ts) for the prompt and output
 * tokens of remote calls whose upstream reports no `usage`. Local embedding models report
 * the words their own preprocessing sees instead: that is their real input.
 *
 * The simulator keeps its own word tokenizer on purpose (docs/design-notes.md).
 */
export { countTokens, countTokensYielding, TokenCounter } from './token-counter.ts';
export { countAnswerTokens, countChatPromptTokens, countCompletionPromptTokens } from './prompt-tokens.ts';
export { encodingLoaded, warmEncoding } from './encoding.ts';
