/**
 * A local model's outputs per item: a request whose items are partly cached runs the model
 * on the others only (PreparedCall.forItems), and its rows are put back in item order.
 * Fully cached: route `cache-hit`; partly: `cache-partial`; none: the model's own route.
 */
import type { Row } from '../../core/tensors.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { Item } from '../../pipeline/request.ts';
import type { Answer, Dispatch, PreparedCall, RowsAnswer, Target } from '../../pipeline/target.ts';
import { decodeRow, encodeRow } from './answer-codec.ts';
import { combinedKey, itemKey } from './cache-key.ts';
import type { CacheDeps } from './cache-deps.ts';
import { scopeOf, type ModelCachePolicy } from './cache-policy.ts';

export interface ItemCall {
  readonly items: readonly Item[];
  readonly forItems: (indices: readonly number[]) => PreparedCall;
}

export async function cacheItems(
  context: RequestContext,
  target: Target,
  description: ModelDescription,
  prepared: PreparedCall & ItemCall,
  policy: ModelCachePolicy,
  deps: CacheDeps,
): Promise<void> {
  const scope = scopeOf(context, target, policy);
  const keys = prepared.items.map((item) => itemKey(scope, item));
  const noCache = context.cacheDirectives?.noCache === true;
  const cached = noCache ? keys.map(() => undefined) : (await deps.store.get(keys)).map(decodeIfAny);
  const missing = keys.flatMap((_key, index) => (cached[index] === undefined ? [index] : []));
  const model = target.name;
  if (!noCache) {
    deps.metrics.hits.inc({ model }, keys.length - missing.length);
    deps.metrics.misses.inc({ model }, missing.length);
  }
  const rowsOf = (rows: readonly Row[], provenance: RowsAnswer['provenance'], queueMs: number): RowsAnswer => ({
    kind: 'rows',
    provenance,
    model: description,
    rows,
    queueMs,
    cachedItems: keys.length - missing.length,
  });
  if (missing.length === 0) {
    const provenance = { model, version: target.version, route: 'cache-hit', engineMs: 0 };
    context.answer = rowsOf(cached as readonly Row[], provenance, 0);
    return;
  }
  const missingKeys = missing.map((index) => keys[index] as string);
  const call = missing.length === keys.length ? prepared : prepared.forItems(missing);
  const shared = {
    flightKey: combinedKey(missingKeys),
    model,
    compute: (dispatch: Dispatch) => computeRows(call, dispatch, missingKeys, policy, deps, model),
    reread: async (): Promise<Answer | undefined> => {
      const rows = (await deps.store.get(missingKeys)).map(decodeIfAny);
      if (rows.some((row) => row === undefined)) return undefined;
      return rowsOf(rows as Row[], { model, version: target.version, route: 'cache-hit', engineMs: 0 }, 0);
    },
  };
  const run = async (dispatch: Dispatch): Promise<Answer> => {
    const answer =
      policy.coalesce && !noCache ? await deps.coalescer.run(shared, dispatch) : await shared.compute(dispatch);
    if (answer.kind !== 'rows' || missing.length === keys.length) return answer;
    let next = 0;
    const rows = cached.map((row) => row ?? (answer.rows[next++] as Row));
    return rowsOf(rows, { ...answer.provenance, route: 'cache-partial' }, answer.queueMs);
  };
  context.prepared = { ...prepared, run };
}

async function computeRows(
  call: PreparedCall,
  dispatch: Dispatch,
  keys: readonly string[],
  policy: ModelCachePolicy,
  deps: CacheDeps,
  model: string,
): Promise<Answer> {
  const answer = await call.run(dispatch);
  if (answer.kind !== 'rows') return answer;
  const entries = answer.rows.map((row, index) => ({ key: keys[index] as string, value: encodeRow(row), model }));
  await deps.store.set(entries, policy.ttlMs);
  deps.metrics.stores.inc({ model }, entries.length);
  return answer;
}

function decodeIfAny(text: string | undefined): Row | undefined {
  return text === undefined ? undefined : decodeRow(text);
}
