/** The OpenAI wire shapes the simulator answers with, for chat and legacy completions. */
import { randomUUID } from 'node:crypto';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What every response and chunk of one completion share. */
export interface CompletionIdentity {
  kind: 'chat' | 'completion';
  id: string;
  created: number;
  model: string;
}

export type FinishReason = 'stop' | 'length';

export function newIdentity(kind: CompletionIdentity['kind'], model: string): CompletionIdentity {
  const prefix = kind === 'chat' ? 'chatcmpl' : 'cmpl';
  return { kind, id: `${prefix}-sim-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function fullResponse(
  identity: CompletionIdentity,
  text: string,
  finishReason: FinishReason,
  counts: Usage,
): object {
  const { id, created, model } = identity;
  if (identity.kind === 'chat') {
    const choice = {
      index: 0,
      message: { role: 'assistant', content: text, refusal: null },
      logprobs: null,
      finish_reason: finishReason,
    };
    return { id, object: 'chat.completion', created, model, choices: [choice], usage: counts };
  }
  const choice = { index: 0, text, logprobs: null, finish_reason: finishReason };
  return { id, object: 'text_completion', created, model, choices: [choice], usage: counts };
}

/** One streamed token; the first chat chunk also carries the assistant role. */
export function tokenChunk(identity: CompletionIdentity, piece: string, index: number): object {
  if (identity.kind === 'chat') {
    const delta = index === 0 ? { role: 'assistant', content: piece } : { content: piece };
    return chunk(identity, [{ index: 0, delta, logprobs: null, finish_reason: null }]);
  }
  return chunk(identity, [{ index: 0, text: piece, logprobs: null, finish_reason: null }]);
}

export function finishChunk(identity: CompletionIdentity, finishReason: FinishReason): object {
  if (identity.kind === 'chat')
    return chunk(identity, [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]);
  return chunk(identity, [{ index: 0, text: '', logprobs: null, finish_reason: finishReason }]);
}

/** Sent after the finish chunk when `stream_options.include_usage` is true, with no choices. */
export function usageChunk(identity: CompletionIdentity, counts: Usage): object {
  return { ...chunk(identity, []), usage: counts };
}

function chunk(identity: CompletionIdentity, choices: object[]): object {
  const object = identity.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  return { id: identity.id, object, created: identity.created, model: identity.model, choices };
}

export function errorEnvelope(message: string, type: string, param: string | null, code: string): object {
  return { error: { message, type, param, code } };
}
