/**
 * A model's capacity as the overload scenarios measure it: the best closed-loop 2xx rate
 * over a few user counts (batching needs concurrency to fill batches, and too much only
 * queues), the server idle before each point, with the server's CPU for each.
 */
import type { RequestSpec, Sender } from './http-target.ts';
import type { RunSummary } from './latency-recorder.ts';
import { runClosedLoop } from './open-loop.ts';
import { startCpuMeter, type CpuCores } from './process-usage.ts';
import { waitUntilModelIdle } from './server-idle.ts';

export const CAPACITY_USERS = [8, 32, 128] as const;
/** How long a model may take to go idle before a point is measured anyway. */
export const IDLE_TIMEOUT_MS = 60_000;
/** Sent once on each warm connection: most of thousands wait minutes before a row uses them (http-target.ts). */
export const LIVENESS = { method: 'GET', path: '/v2/health/live' } as const;

export interface CapacityPoint {
  readonly users: number;
  readonly okPerS: number;
  readonly summary: RunSummary;
  readonly cpu: CpuCores;
}

/** Over HTTP by default; any transport whose client is a `Sender`. */
export interface CapacityTarget<Spec = RequestSpec> {
  readonly client: Sender<Spec>;
  readonly request: (index: number) => Spec;
  /** Where the model's stats are read (`/v2/models/<m>/stats`), to wait until it is idle. */
  readonly origin: string;
  readonly pid: number;
  readonly model: string;
}

export async function measureCapacity<Spec>(
  target: CapacityTarget<Spec>,
  pointMs: number,
  sloMs: number,
  users: readonly number[] = CAPACITY_USERS,
): Promise<CapacityPoint[]> {
  const points: CapacityPoint[] = [];
  for (const count of users) {
    await waitUntilModelIdle(target.origin, target.model, IDLE_TIMEOUT_MS);
    const cpu = startCpuMeter(target.pid);
    const summary = await runClosedLoop({
      client: target.client,
      request: target.request,
      users: count,
      durationMs: pointMs,
      sloMs,
    });
    points.push({ users: count, okPerS: summary.okThroughput, summary, cpu: cpu.read() });
  }
  return points;
}

/** The point with the most 2xx a second. */
export function bestPoint(points: readonly CapacityPoint[]): CapacityPoint {
  const [first, ...rest] = points;
  if (first === undefined) throw new Error('no capacity points');
  return rest.reduce((a, b) => (b.okPerS > a.okPerS ? b : a), first);
}
