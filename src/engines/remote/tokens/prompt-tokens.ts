/**
 * Tokens of OpenAI request bodies and answers, for upstreams that report no `usage`.
 * Bodies are read as `unknown`: only the model and stream fields were validated, and a
 * field that is not what OpenAI's API says is skipped rather than refused.
 *
 * Chat prompts follow the estimate in OpenAI's cookbook ("How to count tokens with
 * tiktoken") for the gpt-3.5/gpt-4 chat format: every message costs 3 tokens of framing
 * plus the tokens of its role, its content and its name (1 more when it has a name), and
 * the reply is primed with 3 more. Other model families frame messages with their own
 * chat templates, so this is an estimate of the same order, not their count. Text parts
 * of array content are counted; images, audio, tool definitions and tool calls are not.
 */
import { countTokensYielding } from './token-counter.ts';

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/** Prompt tokens of a chat request's `messages` (see above for what is estimated). */
export async function countChatPromptTokens(messages: unknown): Promise<number> {
  if (!Array.isArray(messages)) return 0;
  let framing = REPLY_PRIMING_TOKENS;
  const texts: string[] = [];
  for (const message of messages) {
    if (!isRecord(message)) continue;
    framing += TOKENS_PER_MESSAGE;
    if (typeof message.role === 'string') texts.push(message.role);
    texts.push(...contentTexts(message.content));
    if (typeof message.name === 'string') {
      framing += TOKENS_PER_NAME;
      texts.push(message.name);
    }
  }
  return framing + (await countTokensYielding(texts));
}

/**
 * Tokens of a legacy completions `prompt` or an embeddings `input`: a string, an array of
 * strings (each counted), a token array or an array of token arrays (their lengths).
 */
export async function countCompletionPromptTokens(prompt: unknown): Promise<number> {
  if (typeof prompt === 'string') return countTokensYielding([prompt]);
  if (!Array.isArray(prompt)) return 0;
  if (prompt.every((element) => typeof element === 'number')) return prompt.length;
  const strings = prompt.filter((element): element is string => typeof element === 'string');
  const tokenArrays = prompt.filter((element): element is unknown[] => Array.isArray(element));
  return tokenArrays.reduce((sum, tokens) => sum + tokens.length, 0) + (await countTokensYielding(strings));
}

/**
 * Tokens of the text an answer generated: each choice's `message.content` (chat) or
 * `text` (completions), the same text a stream's deltas carry.
 */
export async function countAnswerTokens(answer: Record<string, unknown>): Promise<number> {
  const choices = Array.isArray(answer.choices) ? answer.choices : [];
  const texts = choices.flatMap((choice: unknown) => {
    if (!isRecord(choice)) return [];
    const text = isRecord(choice.message) ? choice.message.content : choice.text;
    return typeof text === 'string' ? [text] : [];
  });
  return countTokensYielding(texts);
}

/** A message's `content`: a string, or text parts (`{"type": "text", "text"}`). */
function contentTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: unknown) =>
    isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? [part.text] : [],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
