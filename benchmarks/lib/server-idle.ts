/**
 * Waits until a model has stopped working: no request queued and its inference count
 * unchanged between two polls. Between two load runs this keeps the backlog a client
 * gave up on (the server still computes it) from eating the next run's CPU.
 */

export interface IdleResult {
  /** False when the wait timed out, or when the stats could not be read (then it returns at once). */
  readonly idle: boolean;
  readonly waitedMs: number;
}

export async function waitUntilModelIdle(origin: string, model: string, timeoutMs: number, pollMs = 250): Promise<IdleResult> {
  const started = performance.now();
  let previous: number | undefined;
  while (performance.now() - started < timeoutMs) {
    const snapshot = await readModelActivity(origin, model);
    if (snapshot === undefined) return { idle: false, waitedMs: performance.now() - started };
    if (snapshot.queued === 0 && snapshot.inferences === previous) return { idle: true, waitedMs: performance.now() - started };
    previous = snapshot.inferences;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { idle: false, waitedMs: performance.now() - started };
}

interface ModelActivity {
  readonly inferences: number;
  readonly queued: number;
}

/** From `GET /v2/models/<model>/stats`; undefined when it cannot be read or has an unexpected shape. */
async function readModelActivity(origin: string, model: string): Promise<ModelActivity | undefined> {
  try {
    const response = await fetch(`${origin}/v2/models/${encodeURIComponent(model)}/stats`, { signal: AbortSignal.timeout(2_000) });
    if (response.status !== 200) return undefined;
    const body: unknown = await response.json();
    const stats = firstModelStats(body);
    if (stats === undefined || typeof stats['inference_count'] !== 'number') return undefined;
    const queue = stats['queue'];
    const queued = isRecord(queue) && typeof queue['queued'] === 'number' ? queue['queued'] : 0;
    return { inferences: stats['inference_count'], queued };
  } catch {
    return undefined;
  }
}

function firstModelStats(body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body) || !Array.isArray(body['model_stats'])) return undefined;
  const first: unknown = body['model_stats'][0];
  return isRecord(first) ? first : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
