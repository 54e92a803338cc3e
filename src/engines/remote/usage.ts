/**
 * What each remote OpenAI call measured: input and output tokens, each from the
 * upstream's `usage` when it reported them and otherwise counted with sluice's tokenizer
 * (src/engines/remote/tokens) from the request body and the generated text; time to first token; and,
 * for streams, output tokens per second. Each call ends in one `"msg": "usage"` log line
 * and in RemoteMetrics. See docs/backends.md#observability.
 *
 * Measuring starts on the next turn of the event loop, after the answer is on its way
 * (counting yields to the loop as it goes), so it never delays the client; a failure to
 * measure is logged and otherwise ignored.
 */
import type { TargetLog } from '../../pipeline/target.ts';
import type { RemoteMetrics, RequestUsage, TokenSource } from './remote-metrics.ts';
import type { RelayOutcome } from './sse-relay.ts';
import { countAnswerTokens, countChatPromptTokens, countCompletionPromptTokens } from './tokens/index.ts';

/** One call to measure: the model that served it, the route and the body as the client sent it. */
export interface MeasuredCall {
  readonly metrics: RemoteMetrics;
  readonly log: TargetLog;
  readonly model: string;
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface StreamTiming {
  /** Seconds from the request arriving to its first content chunk written, if there was one. */
  readonly firstTokenSeconds: number | undefined;
  readonly endSeconds: number;
}

/** A non-streamed answer (chat, completions or embeddings); `seconds` is the time to the whole answer. */
export function measureAnswer(call: MeasuredCall, answer: Readonly<Record<string, unknown>>, seconds: number): void {
  later(call, async () => {
    const usage = isRecord(answer.usage) ? answer.usage : {};
    const [inputTokens, inputSource] = await promptTokens(call, usage.prompt_tokens);
    const output =
      call.path === '/v1/embeddings'
        ? undefined
        : await outputTokens(usage.completion_tokens, () => countAnswerTokens(answer));
    return {
      model: call.model,
      stream: false,
      inputTokens,
      inputSource,
      output,
      timeToFirstTokenSeconds: seconds,
      outputTokensPerSecond: undefined,
    };
  });
}

/** A relayed stream, complete or not: the text counted on the way, or the usage chunk when there was one. */
export function measureStream(call: MeasuredCall, outcome: RelayOutcome, timing: StreamTiming): void {
  const { tokens } = outcome;
  later(call, async () => {
    const [inputTokens, inputSource] = await promptTokens(call, tokens.upstreamPrompt);
    const output = await outputTokens(tokens.upstreamCompletion, async () => tokens.counted);
    const { firstTokenSeconds, endSeconds } = timing;
    const decoding = firstTokenSeconds === undefined ? 0 : endSeconds - firstTokenSeconds;
    const perSecond = outcome.completed && decoding > 0 && output.tokens > 0 ? output.tokens / decoding : undefined;
    return {
      model: call.model,
      stream: true,
      inputTokens,
      inputSource,
      output,
      timeToFirstTokenSeconds: firstTokenSeconds,
      outputTokensPerSecond: perSecond,
      completed: outcome.completed,
    };
  });
}

/** For the log line: whether a stream got to `[DONE]`. */
type Measured = RequestUsage & { readonly completed?: boolean };

function later(call: MeasuredCall, measure: () => Promise<Measured>): void {
  setImmediate(() => {
    measure()
      .then((usage) => record(call, usage))
      .catch((error: unknown) => call.log.warn({ err: error, model: call.model }, 'usage not measured'));
  });
}

function record(call: MeasuredCall, usage: Measured): void {
  call.metrics.usage(usage);
  const seconds = usage.timeToFirstTokenSeconds;
  call.log.info(
    {
      model: usage.model,
      path: call.path,
      stream: usage.stream,
      completed: usage.completed,
      inputTokens: usage.inputTokens,
      inputSource: usage.inputSource,
      outputTokens: usage.output?.tokens,
      outputSource: usage.output?.source,
      ttftMs: seconds === undefined ? undefined : round(seconds * 1000),
      outputTokensPerSecond: usage.outputTokensPerSecond === undefined ? undefined : round(usage.outputTokensPerSecond),
    },
    'usage',
  );
}

/** The upstream's prompt tokens, else the request's prompt (messages, prompt or input) counted. */
async function promptTokens(call: MeasuredCall, reported: unknown): Promise<[number, TokenSource]> {
  if (isCount(reported)) return [reported, 'upstream'];
  const { body, path } = call;
  if (path === '/v1/chat/completions') return [await countChatPromptTokens(body.messages), 'tokenizer'];
  return [await countCompletionPromptTokens(path === '/v1/embeddings' ? body.input : body.prompt), 'tokenizer'];
}

async function outputTokens(
  reported: unknown,
  count: () => Promise<number>,
): Promise<{ tokens: number; source: TokenSource }> {
  return isCount(reported) ? { tokens: reported, source: 'upstream' } : { tokens: await count(), source: 'tokenizer' };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
