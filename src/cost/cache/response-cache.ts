/**
 * Whole answers of remote models (OpenAI chat, completions and embeddings; KServe v2
 * predictions), stored when they are a 200 JSON document and served with the route
 * `cache-hit`, the model and version that first answered, and no engine time.
 */
import type { RequestContext } from '../../pipeline/context.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { Answer, DocumentAnswer, Dispatch, PreparedCall, Target } from '../../pipeline/target.ts';
import { responseKey } from './cache-key.ts';
import { scopeOf, type ModelCachePolicy } from './cache-policy.ts';
import { decodeDocument, encodeDocument, type StoredDocument } from './answer-codec.ts';
import type { CacheDeps } from './cache-deps.ts';

export async function cacheResponse(
  context: RequestContext,
  target: Target,
  prepared: PreparedCall,
  policy: ModelCachePolicy,
  deps: CacheDeps,
): Promise<void> {
  const { request } = context;
  const directives = context.cacheDirectives;
  const key = responseKey(scopeOf(context, target, policy), request);
  const model = target.name;
  const lookup = async (): Promise<Answer | undefined> => {
    const [text] = await deps.store.get([key]);
    return text === undefined ? undefined : hitAnswer(decodeDocument(text), request, 'cache-hit');
  };
  if (directives?.noCache !== true) {
    const hit = await lookup();
    (hit === undefined ? deps.metrics.misses : deps.metrics.hits).inc({ model });
    if (hit !== undefined) {
      context.answer = hit;
      return;
    }
  }
  const compute = async (dispatch: Dispatch): Promise<Answer> => {
    const answer = await prepared.run(dispatch);
    if (answer.kind === 'document' && answer.status === 200) {
      await deps.store.set([{ key, value: encodeDocument(answer), model }], policy.ttlMs);
      deps.metrics.stores.inc({ model });
    }
    return answer;
  };
  // A caller asking for a fresh answer (no-cache) does not take another's either.
  const coalesce = policy.coalesce && directives?.noCache !== true;
  const run = coalesce
    ? (dispatch: Dispatch) => deps.coalescer.run({ flightKey: key, model, compute, reread: lookup }, dispatch)
    : compute;
  context.prepared = { ...prepared, run };
}

/** The stored answer as this request's, by `route`: an Open Inference answer carries the asker's own id. */
export function hitAnswer(stored: StoredDocument, request: InferenceRequest, route: string): DocumentAnswer {
  const provenance = { model: stored.model, version: stored.version, route, engineMs: 0 };
  let { document } = stored;
  if (request.family === 'open-inference') {
    const rest = Object.fromEntries(Object.entries(document).filter(([name]) => name !== 'id'));
    const id = request.document['id'];
    document = id === undefined ? rest : { ...rest, id };
  }
  return { kind: 'document', status: stored.status, document, provenance };
}
