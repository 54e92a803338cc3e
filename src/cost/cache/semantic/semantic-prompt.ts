/**
 * What of a chat request the semantic cache embeds, and what it keys exactly.
 *
 * Embedded: the user turns' text, joined by blank lines. Keyed exactly, as the response
 * cache keys a request (cache-key.ts): the model, version and tenant, every parameter
 * (max_tokens, temperature, tools, response_format, ...) and every system or developer
 * message in full, plus the roles of the turns, so only requests that differ in how the
 * user worded the question can share an answer. A long system prompt is keyed rather than
 * embedded: embedded with the question, it would make every question of a tenant look alike.
 *
 * A chat with other turns (assistant, tool) or with content that is not a string (images,
 * parts) is not looked up: its answer depends on more than its wording.
 */
import type { InferenceRequest } from '../../../pipeline/request.ts';
import { responseKey, type KeyScope } from '../cache-key.ts';

export interface SemanticPrompt {
  /** The user turns' text: what is embedded. */
  readonly text: string;
  /** Everything else that changes the answer. */
  readonly paramsKey: string;
}

const KEYED_ROLES = new Set(['system', 'developer']);

/** The request's prompt and parameters key, or undefined when it is not a chat the semantic cache may answer. */
export function semanticPrompt(request: InferenceRequest, scope: KeyScope): SemanticPrompt | undefined {
  if (request.operation !== 'chat' || request.family !== 'openai') return undefined;
  const messages = request.document['messages'];
  if (!Array.isArray(messages)) return undefined;
  const userTexts: string[] = [];
  const keyed: unknown[] = [];
  for (const message of messages as unknown[]) {
    if (typeof message !== 'object' || message === null) return undefined;
    const { role, content, ...rest } = message as Record<string, unknown>;
    if (typeof role === 'string' && KEYED_ROLES.has(role)) keyed.push(message);
    else if (role === 'user' && typeof content === 'string') {
      userTexts.push(content);
      keyed.push({ role, ...rest });
    } else return undefined;
  }
  const text = userTexts.join('\n\n');
  if (text.trim() === '') return undefined;
  const document = { ...request.document, messages: keyed };
  return { text, paramsKey: responseKey(scope, { ...request, document }) };
}

/** A tenant's entries for a model: never shared across tenants, whatever the model's `shared` says. */
export function bucketOf(tenant: string, model: string): string {
  return JSON.stringify([tenant, model]);
}
