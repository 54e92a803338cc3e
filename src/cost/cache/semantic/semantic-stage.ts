/**
 * The semantic cache, in the pipeline's cache slot after the response cache: a chat the
 * response cache missed is embedded and looked up among its tenant's earlier prompts for
 * the model; a prompt similar enough (and alike in everything else, semantic-prompt.ts)
 * answers with its stored answer, route `semantic-hit`. On a miss the prepared call is
 * wrapped so the upstream's answer is added to the index with the prompt's embedding.
 *
 * Only what the response cache may cache is looked up (not a stream, a sampled chat only
 * with `x-sluice-cache: allow`), and only prompts of at most `maxPromptChars`;
 * `Cache-Control: no-cache` skips the lookup and stores, `no-store` skips both. A failing
 * embedding model or index is a miss, never a failure.
 */
import type { RequestContext } from '../../../pipeline/context.ts';
import type { PipelineStage } from '../../../pipeline/pipeline.ts';
import type { Answer, PreparedCall } from '../../../pipeline/target.ts';
import { decodeDocument, encodeDocument } from '../answer-codec.ts';
import { cacheableCall, REUSED_ROUTES } from '../cache-policy.ts';
import type { OutageGuard } from '../resilient-cache-store.ts';
import { hitAnswer } from '../response-cache.ts';
import type { Embedder, EmbedCaller } from './embedder.ts';
import type { SemanticCacheMetrics } from './semantic-metrics.ts';
import type { SemanticIndex } from './semantic-index.ts';
import { bucketOf, semanticPrompt, type SemanticPrompt } from './semantic-prompt.ts';

export interface SemanticPolicy {
  /** The model that embeds prompts. */
  readonly embeddingModel: string;
  readonly minSimilarity: number;
  /** Longer prompts are left to the response cache (the embedding model may not read all of them). */
  readonly maxPromptChars: number;
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export interface SemanticDeps {
  readonly index: SemanticIndex;
  readonly embedder: Pick<Embedder, 'embed'>;
  /** Counts and logs embedding failures (per chat model), once per outage. */
  readonly embeddingGuard: OutageGuard;
  readonly metrics: SemanticCacheMetrics;
  /** By chat model name. */
  readonly policies: ReadonlyMap<string, SemanticPolicy>;
}

export class SemanticCacheStage implements PipelineStage {
  readonly name = 'semantic-cache';

  constructor(private readonly deps: SemanticDeps) {}

  async run(context: RequestContext): Promise<void> {
    const call = cacheableCall(context, this.deps.policies);
    if (call === undefined) return;
    const { target, prepared, policy, directives } = call;
    const model = target.name;
    const scope = { model, version: target.version, tenant: context.tenant.name };
    const prompt = semanticPrompt(context.request, scope);
    if (prompt === undefined || prompt.text.length > policy.maxPromptChars) return;
    const vector = await this.deps.embeddingGuard.run(
      model,
      () => this.deps.embedder.embed(policy.embeddingModel, prompt.text, callerOf(context)),
      () => undefined,
    );
    if (vector === undefined) return;
    const bucket = bucketOf(context.tenant.name, model);
    if (!directives.noCache) {
      this.deps.metrics.lookups.inc({ model });
      const match = await this.deps.index.nearest(bucket, prompt.paramsKey, vector, policy.minSimilarity);
      if (match !== undefined) {
        this.deps.metrics.hits.inc({ model });
        this.deps.metrics.similarity.observe({ model }, match.similarity);
        context.answer = hitAnswer(decodeDocument(match.value), context.request, 'semantic-hit');
        return;
      }
    }
    context.prepared = this.storing(prepared, { model, bucket, prompt, vector, policy });
  }

  /** The call, adding its answer to the index when it is a 200 document the upstream made for this request. */
  private storing(prepared: PreparedCall, miss: Miss): PreparedCall {
    const { model, bucket, prompt, vector, policy } = miss;
    const run = async (dispatch: Parameters<PreparedCall['run']>[0]): Promise<Answer> => {
      const answer = await prepared.run(dispatch);
      // An answer reused from the response cache or another request's run is already indexed by the one that ran.
      if (answer.kind === 'document' && answer.status === 200 && !REUSED_ROUTES.has(answer.provenance.route)) {
        const entry = { paramsKey: prompt.paramsKey, vector, value: encodeDocument(answer) };
        await this.deps.index.add(bucket, entry, policy);
        this.deps.metrics.stores.inc({ model });
      }
      return answer;
    };
    return { ...prepared, run };
  }
}

interface Miss {
  readonly model: string;
  readonly bucket: string;
  readonly prompt: SemanticPrompt;
  readonly vector: Float32Array;
  readonly policy: SemanticPolicy;
}

/** The chat's caller as the embedding model's: its signal read through, as the pipeline reads it. */
function callerOf(context: RequestContext): EmbedCaller {
  const { tenant, requestId, log } = context;
  return {
    tenant,
    limits: context.request.limits,
    requestId,
    log,
    get signal() {
      return context.signal;
    },
    ran: (run) => (context.sideRuns ??= []).push(run),
  };
}
