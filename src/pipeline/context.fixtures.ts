/** Requests and contexts for stage tests: an OpenAI document request, and a context with a quiet log. */
import { ANONYMOUS, type Caller } from '../tenancy/tenant-directory.ts';
import { createContext, type CallInfo, type RequestContext } from './context.ts';
import { NO_REQUESTED_LIMITS, type InferenceRequest } from './request.ts';

/** An OpenAI-family request of `document` to the remote model "chat" (a chat, not streamed, unless overridden). */
export function openAiRequest(
  document: Record<string, unknown>,
  overrides: Partial<InferenceRequest> = {},
): InferenceRequest {
  return {
    operation: 'chat',
    model: 'chat',
    version: undefined,
    limits: NO_REQUESTED_LIMITS,
    stream: false,
    family: 'openai',
    document,
    items: undefined,
    ...overrides,
  };
}

/** The request's context as a transport makes it: request id "r", received at 0, a signal nobody aborts, a log that drops. */
export function quietContext(
  request: InferenceRequest,
  caller: Caller = ANONYMOUS,
  call: Partial<CallInfo> = {},
): RequestContext {
  const log = { info: () => {}, warn: () => {} };
  const info: CallInfo = {
    requestId: 'r',
    protocol: 'openai',
    receivedAt: 0,
    signal: new AbortController().signal,
    log,
  };
  return createContext({ ...info, ...call }, request, caller);
}
