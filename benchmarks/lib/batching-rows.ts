/**
 * One row of the `batching` benchmark on one side: the ceiling process measuring for the
 * row's duration, or a closed loop of users against a sluice server. Every server is idle
 * before a row starts, so no side inherits another's backlog.
 */
import { batchDelta, readBatchCounts, type BatchDelta } from './batch-stats.ts';
import {
  failuresText,
  type BatchingRecord,
  type ConcurrencyPoint,
  type RowRecord,
  type SideKey,
} from './batching-report.ts';
import type { LoadClient, RequestSource, Sender } from './http-target.ts';
import type { RunSummary } from './latency-recorder.ts';
import type { CeilingMeasurement, CeilingProcess } from './ort-ceiling.ts';
import { runClosedLoop } from './open-loop.ts';
import { startCpuMeter } from './process-usage.ts';
import type { SluiceProcess } from './server-process.ts';
import { waitUntilModelIdle } from './server-idle.ts';

const IDLE_TIMEOUT_MS = 60_000;
/** Only 2xx answers count as items; the recorder needs an SLO all the same. */
const SLO_MS = 1_000;

/** A sluice server with its load client. */
export interface HttpSide {
  readonly key: 'batched' | 'unbatched' | 'baseline';
  readonly server: SluiceProcess;
  readonly client: LoadClient;
}

export interface ModelUnderTest {
  readonly model: string;
  readonly maxBatchSize: number;
  readonly request: RequestSource;
  /** Every sluice server, all of which must be idle before any row. */
  readonly servers: readonly SluiceProcess[];
}

export interface HttpRow {
  readonly summary: RunSummary;
  readonly record: BatchingRecord;
}

async function allIdle(
  target: Pick<ModelUnderTest, 'model'> & { readonly servers: readonly Pick<SluiceProcess, 'origin'>[] },
): Promise<boolean> {
  const idle = await Promise.all(
    target.servers.map((server) => waitUntilModelIdle(server.origin, target.model, IDLE_TIMEOUT_MS)),
  );
  return idle.every((each) => each.idle);
}

/** A closed loop of `users` against one sluice server for `durationMs`. */
export async function runHttpRow(
  target: ModelUnderTest,
  side: HttpSide,
  users: number,
  durationMs: number,
  round: number,
): Promise<HttpRow> {
  const row = await runLoadRow(
    {
      model: target.model,
      side: side.key,
      client: side.client,
      request: target.request,
      server: side.server,
      fullBatch: side.key === 'unbatched' ? 1 : target.maxBatchSize,
      servers: target.servers,
    },
    users,
    durationMs,
    round,
  );
  return { summary: row.summary, record: { ...row.record, side: side.key } };
}

/** A closed loop against a server with sluice's stats API (`/v2/models/<m>/stats`), over any transport. */
export interface LoadRowPlan<Spec> {
  readonly model: string;
  readonly side: string;
  readonly client: Sender<Spec>;
  readonly request: (index: number) => Spec;
  /** The server measured: its CPU, and its batch counts read before and after. */
  readonly server: Pick<SluiceProcess, 'pid' | 'origin'>;
  /** The batch size counted as full. */
  readonly fullBatch: number;
  /** Every server that must be idle before the row. */
  readonly servers: readonly Pick<SluiceProcess, 'origin'>[];
}

export async function runLoadRow<Spec>(
  plan: LoadRowPlan<Spec>,
  users: number,
  durationMs: number,
  round: number,
): Promise<{ readonly summary: RunSummary; readonly record: RowRecord }> {
  const idleReached = await allIdle({ model: plan.model, servers: plan.servers });
  const before = await readBatchCounts(plan.server.origin, plan.model);
  const cpu = startCpuMeter(plan.server.pid);
  const summary = await runClosedLoop({ client: plan.client, request: plan.request, users, durationMs, sloMs: SLO_MS });
  const used = cpu.read();
  const batches = batchDelta(before, await readBatchCounts(plan.server.origin, plan.model), plan.fullBatch);
  const ok = summary.outcomes.ok;
  const record: RowRecord = {
    model: plan.model,
    round,
    side: plan.side,
    itemsPerS: summary.okThroughput,
    users,
    p50Ms: ok.count === 0 ? undefined : ok.p50Ms,
    p99Ms: ok.count === 0 ? undefined : ok.p99Ms,
    failed: summary.completed - ok.count,
    failureKinds: summary.failureKinds,
    cpu: used,
    batches,
    idleReached,
  };
  return { summary, record };
}

export function concurrencyPoint(row: { readonly record: RowRecord }): ConcurrencyPoint {
  const { record } = row;
  return {
    users: record.users ?? 0,
    itemsPerS: record.itemsPerS,
    p50Ms: record.p50Ms ?? Number.NaN,
    p99Ms: record.p99Ms ?? Number.NaN,
    failed: record.failed,
    meanBatch: record.batches?.meanSize,
  };
}

export interface CeilingRow {
  readonly measurement: CeilingMeasurement;
  readonly record: BatchingRecord;
}

/** The ceiling process runs full batches (of max_batch_size, or `batchSize`) back to back for `durationMs`. */
export async function runCeilingRow(
  target: Pick<ModelUnderTest, 'model' | 'servers'>,
  ceiling: CeilingProcess,
  preprocess: boolean,
  durationMs: number,
  round: number,
  batchSize?: number,
): Promise<CeilingRow> {
  const idleReached = await allIdle(target);
  const cpu = startCpuMeter(ceiling.pid);
  const measurement = await ceiling.measure(durationMs, preprocess, batchSize);
  const side: SideKey = preprocess ? 'ceiling+pre' : 'ceiling';
  const size = measurement.batchSize;
  const batches: BatchDelta = {
    items: measurement.items,
    batches: measurement.batches,
    bySize: { [size]: measurement.batches },
    meanSize: size,
    fullShare: 1,
  };
  const record: BatchingRecord = {
    model: target.model,
    round,
    side,
    itemsPerS: measurement.itemsPerS,
    users: undefined,
    p50Ms: undefined,
    p99Ms: undefined,
    failed: 0,
    failureKinds: {},
    cpu: cpu.read(),
    batches,
    idleReached,
  };
  return { measurement, record };
}

/** A one-line summary for the progress bar. */
export function rowLine(record: RowRecord): string {
  const batch = record.batches?.meanSize === undefined ? '' : `, mean batch ${record.batches.meanSize.toFixed(1)}`;
  const latency =
    record.p99Ms === undefined ? '' : `, p50 ${record.p50Ms?.toFixed(1)} ms, p99 ${record.p99Ms.toFixed(1)} ms`;
  const users = record.users === undefined ? '' : ` (${record.users} users)`;
  return `${record.model} round ${record.round} ${record.side}${users}: ${record.itemsPerS.toFixed(0)} items/s${batch}${latency}${record.failed > 0 ? `, failed ${failuresText(record.failureKinds)}` : ''}`;
}
