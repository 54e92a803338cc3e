/**
 * The rows of many-users: one stream-users run per side, users count and round, with the
 * simulator idle first, and the memory and CPU of the servers measured during the row.
 * Sides alternate A B within each round, so both see the same state of the machine.
 */
import { IDLE_TIMEOUT_MS } from './gateway-rows.ts';
import { readMemory, sampleRss, startCpuMeter } from './process-usage.ts';
import { counterDelta, scrapeMetrics, sumBy, type Sample } from './prometheus-scrape.ts';
import { ProgressBar } from './progress.ts';
import { formatMs } from './report.ts';
import type { SluiceProcess } from './server-process.ts';
import { waitUntilSimIdle } from './server-idle.ts';
import type { StreamUsersSummary } from './stream-recorder.ts';
import { runStreamUsers } from './stream-users.ts';

export const CHAT_PATH = '/v1/chat/completions';

/** One side of the comparison: where the users connect, and which processes serve them. */
export interface UsersSide {
  readonly key: 'direct' | 'sluice';
  readonly origin: string;
  /** Every server this side's streams pass through; memory and CPU are measured for each. */
  readonly servers: readonly SluiceProcess[];
  /** Each server's VmRSS once started, before any load, by label: the floor for memory per stream. */
  readonly idleRssBytes: Readonly<Record<string, number | undefined>>;
  /** The sluice process, whose /metrics is read around each row. */
  readonly gateway: SluiceProcess | undefined;
}

/** sluice's own view of a row, from /metrics: what its admission gate refused, and its time to first token. */
export interface GatewayDuringRow {
  /** `sluice_admission_limit` after the row; undefined when /metrics has none. */
  readonly limitAfter: number | undefined;
  /** The change in `sluice_admission_refused_total` over the row, by guard. */
  readonly refusedByGuard: Readonly<Record<string, number>>;
  /**
   * Mean of `sluice_time_to_first_token_seconds` over the row, in ms: from sluice's handler
   * to the first content chunk written. Far below the client's TTFT, the wait was before the
   * handler (connections in the accept queue, requests unread in socket buffers).
   */
  readonly ttftMeanMs: number | undefined;
  /** The longest event-loop delay over the row (prom-client resets it at every scrape; ≈ 10 ms resolution), ms. */
  readonly loopLagMaxMs: number | undefined;
  /** Garbage collection during the row, seconds, all kinds. */
  readonly gcSeconds: number;
  /** V8 heap in use before and after the row (`nodejs_heap_size_used_bytes`): rising from row to row, something is kept. */
  readonly heapUsedBeforeBytes: number | undefined;
  readonly heapUsedAfterBytes: number | undefined;
}

export interface MemoryDuringRow {
  /** VmRSS once the server had started, before any load. */
  readonly idleBytes: number | undefined;
  /** VmRSS just before the row (after the simulator went idle): V8 keeps what earlier rows grew, so it creeps up. */
  readonly beforeBytes: number | undefined;
  /** The largest VmRSS sampled every 100 ms during the row. */
  readonly peakBytes: number | undefined;
}

export interface UsersRecord {
  readonly side: string;
  readonly users: number;
  readonly round: number;
  readonly summary: StreamUsersSummary;
  /** By process label (`sim`, `sluice`). */
  readonly memory: Readonly<Record<string, MemoryDuringRow>>;
  /** CPU cores used during the row, by process label; `client` the generator, `other` everything else on the machine. */
  readonly cpu: Readonly<Record<string, number>>;
  /** How long CPU was measured: cores × this = CPU seconds. */
  readonly cpuWindowS: number;
  readonly idleBeforeMs: number;
  readonly idleReached: boolean;
  /** Through sluice only. */
  readonly gateway: GatewayDuringRow | undefined;
}

/** How one row's users arrive and how long their streams last. */
export interface UsersRowShape {
  readonly rampMs: number;
  /** About how long a stream lasts with nothing in its way. */
  readonly streamMs: number;
  readonly streamTimeoutMs: number;
  readonly body: (index: number) => string;
}

const RSS_SAMPLE_MS = 100;

export async function runUsersRow(
  side: UsersSide,
  sim: SluiceProcess,
  users: number,
  round: number,
  shape: UsersRowShape,
): Promise<UsersRecord> {
  const idle = await waitUntilSimIdle(sim.origin, IDLE_TIMEOUT_MS);
  const metricsBefore = side.gateway === undefined ? [] : await scrapeMetrics(side.gateway.origin);
  const before = side.servers.map((server) => readMemory(server.pid)?.rssBytes);
  const samplers = side.servers.map((server) => sampleRss(server.pid, RSS_SAMPLE_MS));
  const meters = side.servers.map((server) => startCpuMeter(server.pid));
  const measuredFrom = performance.now();
  const summary = await runStreamUsers({
    origin: side.origin,
    users,
    rampMs: shape.rampMs,
    path: CHAT_PATH,
    body: shape.body,
    streamTimeoutMs: shape.streamTimeoutMs,
  });
  const readings = meters.map((meter) => meter.read());
  const cpuWindowS = (performance.now() - measuredFrom) / 1000;
  const peaks = samplers.map((sampler) => sampler.stop());
  const memory: Record<string, MemoryDuringRow> = {};
  // `other` from the meter of the last server: the machine's busy time less that server's and the generator's.
  const cpu: Record<string, number> = { client: readings[0]?.client ?? 0 };
  for (const [index, server] of side.servers.entries()) {
    memory[server.label] = {
      idleBytes: side.idleRssBytes[server.label],
      beforeBytes: before[index],
      peakBytes: peaks[index],
    };
    cpu[server.label] = readings[index]?.server ?? 0;
  }
  cpu['other'] = Math.max(
    0,
    (readings.at(-1)?.other ?? 0) - readings.slice(0, -1).reduce((sum, reading) => sum + reading.server, 0),
  );
  const gateway =
    side.gateway === undefined ? undefined : gatewayOf(metricsBefore, await scrapeMetrics(side.gateway.origin));
  return {
    side: side.key,
    users,
    round,
    summary,
    memory,
    cpu,
    cpuWindowS,
    idleBeforeMs: idle.waitedMs,
    idleReached: idle.idle,
    gateway,
  };
}

function gatewayOf(before: readonly Sample[], after: readonly Sample[]): GatewayDuringRow {
  const refused = 'sluice_admission_refused_total';
  const ttft = (samples: readonly Sample[], part: 'sum' | 'count') =>
    sumBy(samples, `sluice_time_to_first_token_seconds_${part}`).get('') ?? 0;
  const count = ttft(after, 'count') - ttft(before, 'count');
  const gc = 'sluice_nodejs_gc_duration_seconds_sum';
  const lagMax = sumBy(after, 'sluice_nodejs_eventloop_lag_max_seconds').get('');
  const heap = 'sluice_nodejs_heap_size_used_bytes';
  return {
    heapUsedBeforeBytes: sumBy(before, heap).get(''),
    heapUsedAfterBytes: sumBy(after, heap).get(''),
    loopLagMaxMs: lagMax === undefined ? undefined : lagMax * 1000,
    gcSeconds: (sumBy(after, gc).get('') ?? 0) - (sumBy(before, gc).get('') ?? 0),
    ttftMeanMs: count > 0 ? ((ttft(after, 'sum') - ttft(before, 'sum')) / count) * 1000 : undefined,
    limitAfter: sumBy(after, 'sluice_admission_limit').get(''),
    refusedByGuard: Object.fromEntries(counterDelta(before, after, refused, 'guard')),
  };
}

export interface UsersPlan {
  readonly sides: readonly UsersSide[];
  readonly sim: SluiceProcess;
  readonly userCounts: readonly number[];
  readonly rounds: number;
  readonly shapeOf: (users: number) => UsersRowShape;
}

/** Users counts in order; at each, the sides alternate A B A B ... for `rounds` rounds. */
export async function runUsersRows(plan: UsersPlan): Promise<UsersRecord[]> {
  const records: UsersRecord[] = [];
  const rowMs =
    plan.userCounts.reduce((sum, users) => sum + plan.shapeOf(users).rampMs + plan.shapeOf(users).streamMs, 0) /
    plan.userCounts.length;
  const progress = new ProgressBar('many-users', plan.userCounts.length * plan.rounds * plan.sides.length, rowMs);
  try {
    for (const users of plan.userCounts) {
      for (let round = 1; round <= plan.rounds; round += 1) {
        for (const side of plan.sides) {
          progress.start(`${users} users round ${round} ${side.key}`);
          const record = await runUsersRow(side, plan.sim, users, round, plan.shapeOf(users));
          records.push(record);
          progress.finish(usersProgressLine(record));
        }
      }
    }
  } finally {
    progress.close();
  }
  return records;
}

function usersProgressLine(record: UsersRecord): string {
  const { summary } = record;
  return `${record.users} users round ${record.round} ${record.side}: peak open ${summary.peakOpen}, TTFT p99 ${formatMs(summary.ttft.p99Ms)} ms, failed ${summary.failed}`;
}
