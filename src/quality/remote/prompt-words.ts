/**
 * The words a remote model's out-of-vocabulary rate counts: those of a chat's user turns
 * (string content, or the text parts of content given as parts) or of a completion's prompt
 * (a string, or a list of strings; token ids are not words), split by `textWords`, the
 * tokenizer of the local text models and their quality windows. System and assistant turns
 * are left out: they are the application's own words, not what its users send.
 */
import { textWords } from '../../core/text.ts';

/** Every user text's words, in order; undefined when the request holds no user text (an embedding, a tool turn). */
export function promptWords(document: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  const texts = promptTexts(document);
  if (texts.length === 0) return undefined;
  // One text's words are textWords' own array, shared: it is only read.
  if (texts.length === 1) return textWords(texts[0] as string);
  return texts.flatMap((text) => textWords(text));
}

function promptTexts(document: Readonly<Record<string, unknown>>): string[] {
  const { messages, prompt } = document;
  if (Array.isArray(messages)) return (messages as unknown[]).flatMap(userTexts);
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt)) return (prompt as unknown[]).filter((entry) => typeof entry === 'string');
  return [];
}

function userTexts(message: unknown): string[] {
  if (typeof message !== 'object' || message === null) return [];
  const { role, content } = message as Readonly<Record<string, unknown>>;
  if (role !== 'user') return [];
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return (content as unknown[]).flatMap((part) => {
    if (typeof part !== 'object' || part === null) return [];
    const { type, text } = part as Readonly<Record<string, unknown>>;
    return type === 'text' && typeof text === 'string' ? [text] : [];
  });
}
