/**
 * Rules a JSON schema states badly: one field's rule that depends on another's value. Each
 * reads only values of the right type, and a field the schema already blamed is not
 * blamed again (check.ts).
 */
import { describe, type Located } from './failures.ts';

type Document = Readonly<Record<string, unknown>>;

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** "Only set this when you set `stream: true`" (both endpoints). */
function streamOptionsRule(document: Document): Located[] {
  if (!isSet(document['stream_options']) || document['stream'] === true) return [];
  return [{ at: ['stream_options'], rule: 'is only allowed with "stream": true' }];
}

export function chatCrossFieldFailures(document: Document): Located[] {
  const failures = streamOptionsRule(document);
  if (isSet(document['top_logprobs']) && document['logprobs'] !== true) {
    failures.push({ at: ['top_logprobs'], rule: 'requires "logprobs": true' });
  }
  const messages = document['messages'];
  if (Array.isArray(messages)) {
    messages.forEach((message: unknown, index) => {
      if (isAssistantWithoutContent(message)) {
        failures.push({
          at: ['messages', String(index), 'content'],
          rule: 'is required unless the message has tool_calls or function_call',
        });
      }
    });
  }
  return failures;
}

/** "Required unless `tool_calls` or `function_call` is specified." */
function isAssistantWithoutContent(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const fields = message as Document;
  if (fields['role'] !== 'assistant') return false;
  return !isSet(fields['content']) && !isSet(fields['tool_calls']) && !isSet(fields['function_call']);
}

export function completionCrossFieldFailures(document: Document): Located[] {
  const failures = streamOptionsRule(document);
  const prompt = document['prompt'];
  // vLLM takes embeddings in place of a prompt (`prompt_embeds`), an extension passed through.
  if (prompt === undefined && !isSet(document['prompt_embeds'])) failures.push({ at: ['prompt'], rule: 'is required' });
  if (Array.isArray(prompt) && new Set(prompt.map(kindOf)).size > 1) {
    failures.push({
      at: ['prompt'],
      rule: 'must hold one kind of element (strings, token ids or arrays of token ids)',
    });
  }
  failures.push(...bestOfRules(document));
  return failures;
}

function kindOf(element: unknown): string {
  return Array.isArray(element) ? 'array' : typeof element;
}

/** "`best_of` must be greater than `n`"; "Results cannot be streamed." */
function bestOfRules(document: Document): Located[] {
  const bestOf = document['best_of'];
  if (typeof bestOf !== 'number') return [];
  const n = document['n'];
  if (typeof n === 'number' && bestOf < n) {
    return [{ at: ['best_of'], rule: `must be at least n (${n}), got ${describe(bestOf)}` }];
  }
  if (bestOf > 1 && document['stream'] === true) {
    return [{ at: ['best_of'], rule: `must be at most 1 with "stream": true, got ${describe(bestOf)}` }];
  }
  return [];
}
