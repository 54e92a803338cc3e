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

export async function waitUntilModelIdle(
  origin: string,
  model: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<IdleResult> {
  const started = performance.now();
  let previous: number | undefined;
  while (performance.now() - started < timeoutMs) {
    const snapshot = await readModelActivity(origin, model);
    if (snapshot === undefined) return { idle: false, waitedMs: performance.now() - started };
    if (snapshot.queued === 0 && snapshot.inferences === previous)
      return { idle: true, waitedMs: performance.now() - started };
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
    const response = await fetch(`${origin}/v2/models/${encodeURIComponent(model)}/stats`, {
      signal: AbortSignal.timeout(2_000),
    });
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

/**
 * Waits until a `sluice sim` has nothing running or queued (`GET /sim/stats`), so a run
 * does not inherit the sequences of the one before. A request the client gave up on is
 * cancelled by the simulator, but a gateway in between may still be finishing it.
 */
export async function waitUntilSimIdle(origin: string, timeoutMs: number, pollMs = 100): Promise<IdleResult> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const busy = await readSimBusy(origin);
    if (busy === undefined) return { idle: false, waitedMs: performance.now() - started };
    if (busy === 0) return { idle: true, waitedMs: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { idle: false, waitedMs: performance.now() - started };
}

/** Sequences running plus queued; undefined when the stats cannot be read. */
async function readSimBusy(origin: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${origin}/sim/stats`, { signal: AbortSignal.timeout(2_000) });
    if (response.status !== 200) return undefined;
    const body: unknown = await response.json();
    if (!isRecord(body) || typeof body['running'] !== 'number' || typeof body['queued'] !== 'number') return undefined;
    return body['running'] + body['queued'];
  } catch {
    return undefined;
  }
}
