/**
 * The simulator's tokenizer: a token is a run of word characters or one punctuation
 * mark. It is nothing like a real BPE vocabulary, but it is deterministic and cheap,
 * and generated text re-tokenizes to exactly the token count reported in `usage`.
 */
const TOKEN = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function countTokens(text: string): number {
  return tokenize(text).length;
}

/** Whether a token is written with a space before it (words are, punctuation is not). */
export function joinsWithSpace(token: string, index: number): boolean {
  return index > 0 && /^[\p{L}\p{M}\p{N}_]/u.test(token);
}

/** The text of `tokens` as one string, exactly the concatenation of `tokenPiece`s. */
export function detokenize(tokens: readonly string[]): string {
  return tokens.map(tokenPiece).join('');
}

/** One token as it appears in the text (and in one streamed chunk). */
export function tokenPiece(token: string, index: number): string {
  return joinsWithSpace(token, index) ? ` ${token}` : token;
}
