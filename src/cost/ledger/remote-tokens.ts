/**
 * A remote OpenAI-compatible answer's tokens for the ledger: the upstream's `usage` where
 * it reported it, else counted with sluice's tokenizer, as RemoteMetrics counts them
 * (src/engines/remote/usage.ts), so the ledger and `sluice_input_tokens_total` agree.
 */
import {
  countAnswerTokens,
  countChatPromptTokens,
  countCompletionPromptTokens,
} from '../../engines/remote/tokens/index.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { StreamSummary } from '../../pipeline/target.ts';

export interface Tokens {
  readonly input: number;
  readonly output: number;
}

/** Both counts when the answer's `usage` has them (an embedding has no output); undefined when one must be counted. */
export function reportedTokens(
  request: InferenceRequest,
  document: Readonly<Record<string, unknown>>,
): Tokens | undefined {
  const usage = document['usage'];
  if (typeof usage !== 'object' || usage === null) return undefined;
  const { prompt_tokens: input, completion_tokens: output } = usage as Record<string, unknown>;
  if (!isCount(input)) return undefined;
  if (request.operation === 'embed') return { input, output: 0 };
  return isCount(output) ? { input, output } : undefined;
}

/** A whole answer's tokens, counting what the upstream did not report. */
export async function answerTokens(
  request: InferenceRequest,
  document: Readonly<Record<string, unknown>>,
): Promise<Tokens> {
  const usage = document['usage'];
  const reported = typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : {};
  const input = isCount(reported['prompt_tokens']) ? reported['prompt_tokens'] : await promptTokens(request);
  if (request.operation === 'embed') return { input, output: 0 };
  const completion = reported['completion_tokens'];
  return { input, output: isCount(completion) ? completion : await countAnswerTokens({ ...document }) };
}

/** A stream's tokens once relayed (complete or cut off): what was sent, as the relay tallied it. */
export async function streamTokens(request: InferenceRequest, summary: StreamSummary | undefined): Promise<Tokens> {
  const input = summary?.promptTokens ?? (await promptTokens(request));
  return { input, output: summary?.completionTokens ?? 0 };
}

/** The prompt's tokens by sluice's tokenizer (also what rate limits reserve before a request is sent). */
export function promptTokens(request: InferenceRequest): Promise<number> {
  const { document } = request;
  if (request.operation === 'chat') return countChatPromptTokens(document['messages']);
  return countCompletionPromptTokens(request.operation === 'embed' ? document['input'] : document['prompt']);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
