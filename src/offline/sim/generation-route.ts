/**
 * POST /v1/chat/completions and /v1/completions: validate, draw a fault, generate the
 * deterministic answer, then hand it to the scheduler, which decides when each token
 * is "ready". Streaming writes one SSE chunk per token as it comes; otherwise the reply
 * waits for the last token. A client that goes away cancels its sequence.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { deriveSeed } from '../../core/seeded-rng.ts';
import { replyWithFault } from './fault-replies.ts';
import type { FaultInjector } from './faults.ts';
import type { GenerationRequest } from './requests.ts';
import {
  errorEnvelope,
  finishChunk,
  fullResponse,
  newIdentity,
  tokenChunk,
  usage,
  usageChunk,
  type CompletionIdentity,
  type Usage,
} from './responses.ts';
import type { SequenceScheduler } from './scheduler.ts';
import { generateTokens, type Generation } from './text-generator.ts';
import { countTokens, detokenize, tokenPiece } from './tokenizer.ts';

export interface GenerationContext {
  scheduler: SequenceScheduler;
  faults: FaultInjector;
  /** Headers every response carries, also on hijacked (streamed) replies. */
  headers: Readonly<Record<string, string>>;
}

interface Answer {
  identity: CompletionIdentity;
  generation: Generation;
  counts: Usage;
}

export async function handleGeneration(
  context: GenerationContext,
  parsed: GenerationRequest,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const fault = context.faults.draw();
  if (fault !== undefined && replyWithFault(fault, request, reply, parsed.stream)) return;
  const answer = prepareAnswer(context, parsed);
  if (parsed.stream) return streamAnswer(context, parsed, answer, reply, fault === 'reset');
  const finished = await new Promise<boolean>((resolve) => {
    const submitted = submit(context, parsed, answer, reply.raw, {
      onToken: () => {},
      onDone: () => resolve(true),
      onCancel: () => resolve(false),
    });
    if (!submitted) resolve(false);
  });
  if (!finished) {
    reply.hijack(); // the client left, or the queue-full answer went out on the raw response
    return;
  }
  void reply.send(
    fullResponse(answer.identity, detokenize(answer.generation.tokens), answer.generation.finishReason, answer.counts),
  );
}

function prepareAnswer(context: GenerationContext, parsed: GenerationRequest): Answer {
  const serverSeed = context.faults.faults.seed;
  const seed = parsed.seed === undefined ? serverSeed : deriveSeed(serverSeed, `request-seed/${parsed.seed}`);
  const generation = generateTokens({
    seed,
    model: parsed.model.id,
    prompt: parsed.prompt,
    ...(parsed.maxTokens === undefined ? {} : { maxTokens: parsed.maxTokens }),
  });
  const counts = usage(countTokens(parsed.prompt), generation.tokens.length);
  return { identity: newIdentity(parsed.kind, parsed.model.id), generation, counts };
}

interface SequenceEvents {
  onToken(index: number): void;
  onDone(): void;
  onCancel(): void;
}

/** Submits the sequence and ties its life to the connection; false (429 sent) when the queue is full. */
function submit(
  context: GenerationContext,
  parsed: GenerationRequest,
  answer: Answer,
  raw: ServerResponse,
  events: SequenceEvents,
): boolean {
  let done = false;
  const verdict = context.scheduler.submit({
    promptTokens: answer.counts.prompt_tokens,
    completionTokens: answer.generation.tokens.length,
    cost: parsed.model.cost,
    onToken: events.onToken,
    onDone: () => {
      done = true;
      events.onDone();
    },
  });
  if (!verdict.accepted) {
    raw.writeHead(429, {
      ...context.headers,
      'content-type': 'application/json',
      'retry-after': String(verdict.retryAfterS),
    });
    raw.end(
      JSON.stringify(
        errorEnvelope(
          'The simulated server is at capacity: its queue is full.',
          'rate_limit_error',
          null,
          'queue_full',
        ),
      ),
    );
    return false;
  }
  raw.once('close', () => {
    if (done) return;
    verdict.sequence.cancel();
    events.onCancel();
  });
  return true;
}

function streamAnswer(
  context: GenerationContext,
  parsed: GenerationRequest,
  answer: Answer,
  reply: FastifyReply,
  resetAfterHeaders: boolean,
): void {
  reply.hijack();
  const raw = reply.raw;
  const { identity, generation } = answer;
  const write = (data: object | string) =>
    raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  const submitted = submit(context, parsed, answer, raw, {
    onToken: (index) => write(tokenChunk(identity, tokenPiece(generation.tokens[index] ?? '', index), index)),
    onDone: () => {
      write(finishChunk(identity, generation.finishReason));
      if (parsed.includeUsage) write(usageChunk(identity, answer.counts));
      write('[DONE]');
      raw.end();
    },
    onCancel: () => {},
  });
  if (!submitted) return;
  raw.writeHead(200, {
    ...context.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  raw.flushHeaders();
  // A comment line, so the headers are surely on the wire before the connection dies.
  if (resetAfterHeaders) raw.write(': simulated reset\n\n', () => raw.socket?.destroy());
}
