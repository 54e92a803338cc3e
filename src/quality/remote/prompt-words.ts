/**
 * The words a remote model's out-of-vocabulary rate counts of one request: those of its
 * newest user turn (string content, or the text parts of content given as parts) or of a
 * completion's prompt (a string, or a list of strings; token ids are not words), split by
 * `textWords`, the tokenizer of the local text models and their quality windows.
 *
 * Only the newest user turn: a conversation sends its earlier turns again with every
 * request, and counting them again would weigh a long conversation's first words many
 * times over. At most its first 128 words, what a window's sample keeps of a prompt, so a
 * reference's held-out rate and a live window's rate count alike; read from at most its
 * first 1,024 characters, so a pasted document costs what a short question does. Nothing
 * else on a remote model's path splits the text: this is the whole cost (docs/benchmarks.md).
 */
import { textWords } from '../../core/text.ts';
import { MAX_SAMPLED_TOKENS } from '../text-window.ts';

/** A longer text is cut at the last white space before this many characters. */
export const MAX_PROMPT_CHARS = 1_024;

/** The request's prompt words; undefined when it holds no user text (an embedding, a malformed document). */
export function promptWords(document: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  const text = promptText(document);
  if (text === undefined) return undefined;
  // A text within the bounds gets textWords' own array, shared: it is only read.
  const words = textWords(text.length > MAX_PROMPT_CHARS ? opening(text) : text);
  return words.length > MAX_SAMPLED_TOKENS ? words.slice(0, MAX_SAMPLED_TOKENS) : words;
}

function promptText(document: Readonly<Record<string, unknown>>): string | undefined {
  const { messages, prompt } = document;
  if (Array.isArray(messages)) return newestUserText(messages as unknown[]);
  if (typeof prompt === 'string') return prompt;
  if (!Array.isArray(prompt)) return undefined;
  const texts = (prompt as unknown[]).filter((entry) => typeof entry === 'string');
  return texts.length === 0 ? undefined : texts.join('\n');
}

function newestUserText(messages: readonly unknown[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as Readonly<Record<string, unknown>>;
    if (role !== 'user') continue;
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return undefined;
    const texts = (content as unknown[]).flatMap((part) => {
      if (typeof part !== 'object' || part === null) return [];
      const { type, text } = part as Readonly<Record<string, unknown>>;
      return type === 'text' && typeof text === 'string' ? [text] : [];
    });
    return texts.length === 0 ? undefined : texts.join('\n');
  }
  return undefined;
}

/** The text's first MAX_PROMPT_CHARS characters, without the word they may cut in two. */
function opening(text: string): string {
  const head = text.slice(0, MAX_PROMPT_CHARS);
  const lastSpace = head.search(/\s\S*$/u);
  return lastSpace > 0 ? head.slice(0, lastSpace) : head;
}
