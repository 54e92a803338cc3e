/**
 * The batches a sluice model ran during one benchmark row, from `GET /v2/models/<m>/stats`
 * (Triton's batch counts per size) read before and after the row: how full the dynamic
 * batcher kept its batches is the first thing to look at when throughput falls short.
 */

export interface BatchCounts {
  readonly items: number;
  readonly batches: number;
  /** Batches run, by batch size. */
  readonly bySize: Readonly<Record<number, number>>;
}

export interface BatchDelta extends BatchCounts {
  /** Items per batch; undefined when no batch ran. */
  readonly meanSize: number | undefined;
  /** Share of the items that ran in batches of `fullSize`. */
  readonly fullShare: number | undefined;
}

/** Undefined when the stats cannot be read or have an unexpected shape; `headers` carry a key when auth is on. */
export async function readBatchCounts(
  origin: string,
  model: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<BatchCounts | undefined> {
  try {
    const response = await fetch(`${origin}/v2/models/${encodeURIComponent(model)}/stats`, {
      headers,
      signal: AbortSignal.timeout(2_000),
    });
    if (response.status !== 200) return undefined;
    return parseBatchCounts(await response.json());
  } catch {
    return undefined;
  }
}

export function parseBatchCounts(body: unknown): BatchCounts | undefined {
  if (!isRecord(body) || !Array.isArray(body['model_stats'])) return undefined;
  const stats: unknown = body['model_stats'][0];
  if (!isRecord(stats) || typeof stats['inference_count'] !== 'number' || typeof stats['execution_count'] !== 'number')
    return undefined;
  const bySize: Record<number, number> = {};
  for (const entry of Array.isArray(stats['batch_stats']) ? stats['batch_stats'] : []) {
    if (isRecord(entry) && typeof entry['batch_size'] === 'number' && typeof entry['count'] === 'number')
      bySize[entry['batch_size']] = entry['count'];
  }
  return { items: stats['inference_count'], batches: stats['execution_count'], bySize };
}

/** What ran between two readings; undefined when either is missing. */
export function batchDelta(
  before: BatchCounts | undefined,
  after: BatchCounts | undefined,
  fullSize: number,
): BatchDelta | undefined {
  if (before === undefined || after === undefined) return undefined;
  const items = after.items - before.items;
  const batches = after.batches - before.batches;
  const bySize: Record<number, number> = {};
  for (const [size, count] of Object.entries(after.bySize)) {
    const ran = count - (before.bySize[Number(size)] ?? 0);
    if (ran > 0) bySize[Number(size)] = ran;
  }
  const fullItems = (bySize[fullSize] ?? 0) * fullSize;
  return {
    items,
    batches,
    bySize,
    meanSize: batches > 0 ? items / batches : undefined,
    fullShare: items > 0 ? fullItems / items : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
