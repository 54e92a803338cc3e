/** Fakes for the cache stage's tests: a target whose runs are counted and held until released. */
import { Registry } from 'prom-client';
import { performance } from 'node:perf_hooks';
import type { Row } from '../../core/tensors.ts';
import type { CacheDirectives, RequestContext } from '../../pipeline/context.ts';
import { openAiRequest, quietContext } from '../../pipeline/context.fixtures.ts';
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import type { InferenceRequest, Item } from '../../pipeline/request.ts';
import type { Answer, Dispatch, PreparedCall, Target } from '../../pipeline/target.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import { ANONYMOUS } from '../../tenancy/tenant-directory.ts';
import { CacheMetrics } from './cache-metrics.ts';
import { CacheStage } from './cache-stage.ts';
import { Coalescer } from './coalescer.ts';
import { MemoryCacheStore } from './memory-cache-store.ts';

export const DESCRIPTION = { inputs: [], outputs: [] } as unknown as ModelDescription;

/** One row per item: its `x` as a float, so the order of an answer can be read back. */
export function rowOf(item: Item): Row {
  return { y: { dtype: 'float32', dims: [1], data: new Float32Array([Number(item['x'])]) } };
}

export class FakeModel {
  /** The items of each run, in the order run. */
  readonly runs: Item[][] = [];
  readonly signals: AbortSignal[] = [];
  private releases: Array<() => void> = [];
  held = false;

  target(local: boolean): Target {
    return {
      name: 'fake',
      version: '1',
      owner: 'test',
      scheduling: undefined as unknown as Target['scheduling'],
      ready: true,
      state: 'ready',
      description: local ? DESCRIPTION : undefined,
      prepare: async (request) => (local ? this.prepareItems(request) : this.prepareDocument(request)),
      metadata: async () => {
        throw new Error('unused');
      },
      probeReady: async () => ({ ready: true, version: '1' }),
      statistics: () => undefined,
    };
  }

  /** Lets every held run finish. */
  release(): void {
    for (const release of this.releases.splice(0)) release();
  }

  private async execute(items: Item[], dispatch: Dispatch): Promise<void> {
    this.runs.push(items);
    this.signals.push(dispatch.signal);
    if (this.held) await new Promise<void>((resolve) => this.releases.push(resolve));
  }

  private prepareItems(request: InferenceRequest): PreparedCall {
    const items = request.items?.decode(DESCRIPTION) ?? [];
    const runOn = (some: readonly Item[]): PreparedCall => ({
      run: async (dispatch) => {
        await this.execute([...some], dispatch);
        const provenance = { model: 'fake', version: '1', route: 'direct', engineMs: 1 };
        return { kind: 'rows', provenance, model: DESCRIPTION, rows: some.map(rowOf), queueMs: 0 };
      },
    });
    return { ...runOn(items), items, forItems: (indices) => runOn(indices.map((index) => items[index] as Item)) };
  }

  private prepareDocument(request: InferenceRequest): PreparedCall {
    return {
      run: async (dispatch): Promise<Answer> => {
        await this.execute([request.document], dispatch);
        const provenance = { model: 'fake', version: '1', route: 'direct', engineMs: 1 };
        const document = { answer: `run ${this.runs.length}` };
        return { kind: 'document', status: 200, document, provenance };
      },
    };
  }
}

export function cacheUnderTest(policy = { ttlMs: 60_000, shared: false, coalesce: true }) {
  const registry = new Registry();
  const metrics = new CacheMetrics(registry);
  const store = new MemoryCacheStore({ maxBytes: 1 << 20 });
  const coalescer = new Coalescer(store, metrics, 10_000);
  const stage = new CacheStage({ store, coalescer, metrics, policies: new Map([['fake', policy]]) });
  return { stage, metrics, registry, store };
}

export function itemsRequest(xs: readonly number[]): InferenceRequest {
  const items = xs.map((x) => ({ x }));
  return {
    ...documentRequest({}),
    operation: 'predict',
    family: 'kserve-v1',
    items: { decode: () => items, label: (index) => `instances[${index}]` },
  };
}

export function documentRequest(
  document: Record<string, unknown>,
  operation: InferenceRequest['operation'] = 'embed',
): InferenceRequest {
  return openAiRequest(document, { operation, model: 'fake' });
}

/** The request through resolve, validate and the cache stage, then dispatched unless the stage answered. */
export async function serve(
  stage: PipelineStage,
  target: Target,
  request: InferenceRequest,
  options: { directives?: CacheDirectives; deadlineMs?: number; signal?: AbortSignal; tenant?: string } = {},
): Promise<RequestContext> {
  const caller =
    options.tenant === undefined
      ? ANONYMOUS
      : { tenant: { name: options.tenant, priority: undefined, weight: 1 }, key: null };
  const context = quietContext(request, caller, {
    receivedAt: performance.now(),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.directives === undefined ? {} : { cacheDirectives: options.directives }),
  });
  context.target = target;
  context.prepared = await target.prepare(request);
  await stage.run(context);
  if (context.answer !== undefined) return context;
  const ticket = { priority: 0, tenant: 'default', weight: 1, deadlineMs: options.deadlineMs };
  const { signal, log } = context;
  const dispatch: Dispatch = { ticket, signal, requestId: 'r', log, receivedAt: 0, ticketFor: () => ticket };
  context.answer = await context.prepared.run(dispatch);
  return context;
}

export function floats(answer: Answer | undefined): number[] {
  if (answer?.kind !== 'rows') throw new Error(`not rows: ${answer?.kind}`);
  return answer.rows.map((row) => Number(row['y']?.data[0]));
}
