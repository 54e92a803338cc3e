/**
 * A prompt's embedding from the configured embedding model, asked through the same
 * Target interface the pipeline uses: a local text-embedding model (its rows) or a remote
 * OpenAI-compatible embeddings model (its document). The model gets a ticket of its own
 * scheduling for the asking tenant, so its queue and load control apply as to any request.
 * A failure throws an error that names the model and a code, never the text: it is
 * logged, and prompts are personal data.
 */
import { performance } from 'node:perf_hooks';
import { armTicket } from '../../../pipeline/admit.ts';
import type { InferenceRequest, RequestedLimits } from '../../../pipeline/request.ts';
import type {
  Answer,
  Dispatch,
  DocumentAnswer,
  ModelRun,
  RowsAnswer,
  SideRun,
  Target,
  TargetLog,
  TokenRun,
} from '../../../pipeline/target.ts';
import { answerTokens, reportedTokens } from '../../ledger/remote-tokens.ts';
import type { Tenant } from '../../../tenancy/tenant-directory.ts';
import { unitVector } from './semantic-index.ts';

/** Who the embedding is for: the chat request's tenant, limits, client signal and id. */
export interface EmbedCaller {
  readonly tenant: Tenant;
  readonly limits: RequestedLimits;
  readonly signal: AbortSignal;
  readonly requestId: string;
  readonly log: TargetLog;
  /** Told of the embedding model's run (a local one's item, a remote one's tokens), so the request is charged for it. */
  readonly ran?: (run: SideRun) => void;
}

export class EmbeddingFailed extends Error {
  constructor(
    readonly model: string,
    readonly reason: string,
  ) {
    super(`embedding model "${model}" failed: ${reason}`);
  }
}

export class Embedder {
  constructor(
    /** The newest version of a model by name (TargetDirectory.resolve). */
    private readonly resolve: (name: string) => Target,
    /** Off: tickets without deadlines, as the pipeline makes them. */
    private readonly loadControl: boolean,
  ) {}

  /** The text's embedding, of unit length. */
  async embed(model: string, text: string, caller: EmbedCaller): Promise<Float32Array> {
    try {
      const target = this.resolve(model);
      const request = embeddingRequest(model, text);
      const prepared = await target.prepare(request);
      const answer = await prepared.run(this.dispatch(target, caller));
      const vector = unitVector(vectorOf(answer));
      if (answer.kind === 'rows') caller.ran?.(itemsRun(answer));
      else if (answer.kind === 'document') caller.ran?.(await tokensRun(request, answer));
      return vector;
    } catch (error) {
      throw error instanceof EmbeddingFailed ? error : new EmbeddingFailed(model, reasonOf(error));
    }
  }

  private dispatch(target: Target, caller: EmbedCaller): Dispatch {
    const { tenant, limits } = caller;
    const now = performance.now();
    const ticketFor: Dispatch['ticketFor'] = (scheduling) =>
      armTicket(scheduling, tenant, limits, now, this.loadControl);
    const { signal, requestId, log } = caller;
    return { ticket: ticketFor(target.scheduling), signal, requestId, log, receivedAt: now, ticketFor };
  }
}

/** An OpenAI embeddings request of one input: a remote model forwards it, a local one reads it as one item. */
function embeddingRequest(model: string, text: string): InferenceRequest {
  return {
    operation: 'embed',
    model,
    version: undefined,
    limits: { priority: undefined, timeoutMs: undefined },
    stream: false,
    family: 'openai',
    document: { model, input: [text] },
    items: { decode: (description) => [{ [description.inputs[0]?.name ?? 'text']: text }], label: () => 'input' },
  };
}

function vectorOf(answer: Answer): ArrayLike<number> {
  if (answer.kind === 'rows') {
    const output = answer.model.tensors.outputs[0]?.name ?? '';
    const data = answer.rows[0]?.[output]?.data;
    if (data instanceof Float32Array || data instanceof Float64Array) return data;
  } else if (answer.kind === 'rejection') {
    throw new EmbeddingFailed(answer.provenance.model, answer.failure.code);
  } else if (answer.kind === 'stream') {
    answer.discard();
  } else if (answer.status === 200) {
    const data = answer.document['data'];
    const embedding = Array.isArray(data) ? (data[0] as { embedding?: unknown } | undefined)?.embedding : undefined;
    if (Array.isArray(embedding) && embedding.every((value) => typeof value === 'number')) return embedding;
  }
  throw new EmbeddingFailed(answer.provenance.model, `answered ${answer.kind} without an embedding`);
}

function itemsRun(answer: RowsAnswer): ModelRun {
  const { model, version } = answer.provenance;
  return { model, version, cost: answer.model.cost, items: answer.rows.length, cachedItems: answer.cachedItems ?? 0 };
}

/** A remote embedding's prompt tokens: the upstream's `usage`, else counted as the ledger counts them. */
async function tokensRun(request: InferenceRequest, answer: DocumentAnswer): Promise<TokenRun> {
  const { model, version } = answer.provenance;
  const tokens = reportedTokens(request, answer.document) ?? (await answerTokens(request, answer.document));
  return { model, version, inputTokens: tokens.input, outputTokens: 0 };
}

/** A registry code or an error's class name: never its message, which may quote the input. */
function reasonOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.name : 'unknown error';
}
