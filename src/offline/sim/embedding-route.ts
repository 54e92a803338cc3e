/** POST /v1/embeddings: deterministic unit vectors, answered at once (not scheduled). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { embed, toBase64 } from './embeddings.ts';
import { replyWithFault } from './fault-replies.ts';
import type { FaultInjector } from './faults.ts';
import type { EmbeddingRequest } from './requests.ts';
import { countTokens } from './tokenizer.ts';

export function handleEmbeddings(
  faults: FaultInjector,
  parsed: EmbeddingRequest,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const fault = faults.draw();
  if (fault !== undefined && replyWithFault(fault, request, reply, false)) return;
  const seed = faults.faults.seed;
  const data = parsed.inputs.map((text, index) => {
    const vector = embed(seed, parsed.model.id, text, parsed.dimensions);
    return {
      object: 'embedding',
      index,
      embedding: parsed.encoding === 'base64' ? toBase64(vector) : Array.from(vector),
    };
  });
  const promptTokens = parsed.inputs.reduce((sum, text) => sum + countTokens(text), 0);
  void reply.send({
    object: 'list',
    data,
    model: parsed.model.id,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
