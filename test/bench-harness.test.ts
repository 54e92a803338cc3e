/**
 * The benchmark harness itself: open-loop arrivals that a slow server cannot slow down,
 * latencies from intended send times, HDR percentiles, seeded Poisson arrivals, goodput.
 * Load goes to a local node:http server on loopback; every run is bounded in time.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { arrivalOffsetsMs } from '../benchmarks/lib/arrivals.ts';
import { LoadClient } from '../benchmarks/lib/http-target.ts';
import { LatencyRecorder, outcomeOfStatus } from '../benchmarks/lib/latency-recorder.ts';
import { runClosedLoop, runOpenLoop } from '../benchmarks/lib/open-loop.ts';
import { formatDuration, ProgressBar } from '../benchmarks/lib/progress.ts';
import { formatRatio, median, pairRatios } from '../benchmarks/lib/ratios.ts';
import { floorTable, shedBounds } from '../benchmarks/lib/refusal-floor.ts';
import { counterDelta, parsePrometheusText } from '../benchmarks/lib/prometheus-scrape.ts';
import { overloadChecks, overloadTable, type OverloadRow, type SideKey } from '../benchmarks/overload-report.ts';

const SLOW_MS = 200;
let server: Server;
let client: LoadClient;
let shortTimeoutClient: LoadClient;

before(async () => {
  server = createServer((request, response) => {
    const answer = () => {
      if (request.url === '/shed')
        response.writeHead(429, { 'x-sluice-error-code': 'ERR_ADMISSION_QUEUE_FULL' }).end('{}');
      else if (request.url === '/late') response.writeHead(504).end('{}');
      else if (request.url === '/boom') response.writeHead(500).end('{}');
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    if (request.url === '/slow') setTimeout(answer, SLOW_MS);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new LoadClient(origin, { connections: 64 });
  shortTimeoutClient = new LoadClient(origin, { connections: 64, requestTimeoutMs: 100 });
});

after(async () => {
  await Promise.all([client.close(), shortTimeoutClient.close()]);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const slow = () => ({ method: 'GET', path: '/slow' }) as const;

test('open loop: a server answering in 200 ms still gets the scheduled 100 requests in 1 s, and latency counts from the intended time', async () => {
  // Freeze the client's own event loop from 100 to 400 ms: arrivals due then go out late,
  // and an honest generator charges that lateness to their latency.
  const freeze = setTimeout(() => {
    const until = performance.now() + 300;
    while (performance.now() < until);
  }, 100);
  const started = performance.now();
  const summary = await runOpenLoop({
    client,
    request: slow,
    arrivals: { kind: 'fixed', ratePerS: 100 },
    durationMs: 1000,
    sloMs: 1000,
    maxOutstanding: 1000,
  });
  clearTimeout(freeze);
  assert.equal(summary.scheduled, 100);
  assert.equal(summary.sent, 100);
  assert.equal(summary.droppedByClient, 0);
  assert.equal(summary.outcomes.ok.count, 100);
  assert.ok(performance.now() - started < 2000, 'the schedule did not wait for answers');
  assert.ok(
    summary.outcomes.ok.p50Ms >= SLOW_MS && summary.outcomes.ok.p50Ms < SLOW_MS + 100,
    `p50 ${summary.outcomes.ok.p50Ms}`,
  );
  assert.ok(summary.sendLag.maxMs >= 250, `the frozen client sent late by ${summary.sendLag.maxMs} ms`);
  assert.ok(
    summary.outcomes.ok.maxMs >= SLOW_MS + 250,
    `max latency ${summary.outcomes.ok.maxMs} ms includes the send lag`,
  );
});

test('open loop: arrivals past the outstanding cap are dropped by the client, never delayed', async () => {
  const summary = await runOpenLoop({
    client,
    request: slow,
    arrivals: { kind: 'fixed', ratePerS: 100 },
    durationMs: 500,
    sloMs: 1000,
    maxOutstanding: 5,
  });
  assert.equal(summary.scheduled, 50);
  assert.equal(summary.sent + summary.droppedByClient, 50);
  assert.ok(summary.droppedByClient >= 30, `dropped ${summary.droppedByClient}`);
  assert.equal(summary.outcomes.ok.count, summary.sent);
});

test('outcomes: 2xx ok, 429 shed, 504 timeout, anything else or a client timeout error, with the reason', async () => {
  const paths = ['/fast', '/shed', '/late', '/boom', '/slow'];
  const summary = await runOpenLoop({
    client: shortTimeoutClient,
    request: (index) => ({ method: 'GET', path: paths[index % paths.length] ?? '/fast' }),
    arrivals: { kind: 'fixed', ratePerS: 50 },
    durationMs: 200,
    sloMs: 1000,
    maxOutstanding: 100,
  });
  assert.deepEqual(
    {
      ok: summary.outcomes.ok.count,
      shed: summary.outcomes.shed.count,
      timeout: summary.outcomes.timeout.count,
      error: summary.outcomes.error.count,
    },
    { ok: 2, shed: 2, timeout: 2, error: 4 },
  );
  assert.deepEqual(summary.failureKinds, {
    'client timeout': 2,
    ERR_ADMISSION_QUEUE_FULL: 2,
    'status 500': 2,
    'status 504': 2,
  });
  assert.deepEqual([200, 204, 429, 504, 500, 503, 404].map(outcomeOfStatus), [
    'ok',
    'ok',
    'shed',
    'timeout',
    'error',
    'error',
    'error',
  ]);
});

test('closed loop: 2 users against a 200 ms server send about 2 × 600 / 200 requests', async () => {
  const summary = await runClosedLoop({ client, request: slow, users: 2, durationMs: 600, sloMs: 1000 });
  // Each cycle takes at least 200 ms, so no user gets a fourth request in; a noisy machine may cost one.
  assert.ok(summary.sent >= 4 && summary.sent <= 6, `sent ${summary.sent}`);
  assert.equal(summary.outcomes.ok.count, summary.sent);
  assert.ok(summary.outcomes.ok.p50Ms >= SLOW_MS, `p50 ${summary.outcomes.ok.p50Ms}`);
});

test('percentiles of 1..10000 ms uniform agree with the distribution within HDR precision', () => {
  const recorder = new LatencyRecorder(100_000);
  for (let ms = 1; ms <= 10_000; ms += 1) recorder.record('ok', ms);
  const { ok } = recorder.summarize({
    mode: 'open-loop',
    durationMs: 10_000,
    elapsedMs: 10_000,
    scheduled: 10_000,
  }).outcomes;
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) / expected <= 0.001, `${actual} vs ${expected}`);
  near(ok.p50Ms, 5000);
  near(ok.p90Ms, 9000);
  near(ok.p99Ms, 9900);
  near(ok.p999Ms, 9990);
  near(ok.maxMs, 10_000);
  near(ok.meanMs, 5000.5);
  assert.equal(ok.count, 10_000);
});

test('goodput counts only 2xx answers within the SLO, per second of offered load', () => {
  const recorder = new LatencyRecorder(100);
  for (const ms of [10, 50, 100]) recorder.record('ok', ms);
  for (const ms of [101, 150]) recorder.record('ok', ms);
  for (let index = 0; index < 4; index += 1) recorder.record('shed', 1, 'ERR_ADMISSION_QUEUE_FULL');
  recorder.record('timeout', 20, 'ERR_DEADLINE_EXCEEDED');
  recorder.record('error', 5, 'status 500');
  const summary = recorder.summarize({ mode: 'open-loop', durationMs: 2000, elapsedMs: 2500, scheduled: 12 });
  assert.equal(summary.okWithinSlo, 3);
  assert.equal(summary.goodput, 1.5);
  assert.equal(summary.completed, 11);
  assert.equal(summary.throughput, 11 / 2.5);
  assert.equal(summary.offeredRate, 6);
});

test('Poisson arrivals: the same seed gives the same schedule, at the asked mean rate', () => {
  const poisson = (seed: number) => arrivalOffsetsMs({ kind: 'poisson', ratePerS: 1000, seed }, 60_000);
  const first = poisson(42);
  assert.deepEqual(first, poisson(42));
  assert.notDeepEqual(first.subarray(0, 10), poisson(43).subarray(0, 10));
  // 60 000 expected arrivals, standard deviation √60000 ≈ 245: 1 % is four of them.
  assert.ok(Math.abs(first.length - 60_000) < 600, `${first.length} arrivals`);
  const gaps = Array.from(first.subarray(1), (at, index) => at - (first[index] ?? 0));
  const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
  const variance = gaps.reduce((sum, gap) => sum + (gap - mean) ** 2, 0) / gaps.length;
  assert.ok(Math.abs(mean - 1) < 0.02, `mean gap ${mean} ms`);
  assert.ok(Math.abs(Math.sqrt(variance) / mean - 1) < 0.03, 'exponential gaps: standard deviation ≈ mean');
  assert.ok(
    first.every((at, index) => index === 0 || at >= (first[index - 1] ?? 0)),
    'ascending',
  );
  assert.equal(arrivalOffsetsMs({ kind: 'fixed', ratePerS: 250 }, 2000).length, 500);
});

function overloadRow(
  side: SideKey,
  multiplier: number,
  okMs: readonly number[],
  shedMs: readonly number[],
): OverloadRow {
  const recorder = new LatencyRecorder(500);
  for (const ms of okMs) recorder.record('ok', ms);
  for (const ms of shedMs) recorder.record('shed', ms, 'ERR_ADMISSION_QUEUE_FULL');
  const summary = recorder.summarize({
    mode: 'open-loop',
    durationMs: 1000,
    elapsedMs: 1000,
    scheduled: okMs.length + shedMs.length,
  });
  return {
    side,
    label: side,
    multiplier,
    round: 1,
    summary,
    peakRssBytes: undefined,
    cpu: { server: 0, client: 0, other: 0 },
    idleBeforeMs: 0,
    idleReached: true,
    refusedBy: shedMs.length === 0 ? {} : { concurrency: shedMs.length, loop_lag: 0 },
  };
}

test("the overload table names who refused each row's requests, and a dash where nobody did", () => {
  const table = overloadTable([overloadRow('on', 3, [10], [1, 2, 3]), overloadRow('off', 3, [10, 20], [])], 100);
  const [on, off] = table.split('\n').filter((line) => line.startsWith('| 3x'));
  assert.match(on ?? '', /\| concurrency 3 \|/);
  assert.doesNotMatch(on ?? '', /loop_lag/, 'a guard that refused nothing is left out');
  assert.match(off ?? '', /\| - \| 0\.00\/0\.00\/0\.00 \|/, 'the cell before the CPU one');
});

test('overload checks judge the load-control-on side and report a miss with its figure', () => {
  const rows = [
    overloadRow('on', 0.8, Array(100).fill(10), []),
    overloadRow('off', 0.8, Array(100).fill(10), []),
    overloadRow('on', 3, Array(95).fill(15), Array(200).fill(2)),
    overloadRow('off', 3, Array(300).fill(900), []),
  ];
  const met = overloadChecks(rows, 100, 500);
  assert.deepEqual(
    met.map((check) => check.verdict),
    ['pass', 'pass', 'pass'],
  );
  assert.equal(met[2]?.measured.off, 'nothing was shed');
  const missed = overloadChecks(rows, 200, 500);
  assert.equal(missed[1]?.verdict, 'MISS');
  assert.equal(missed[1]?.measured.on, '95/s (48%)');
  assert.equal(missed[1]?.measured.off, '0.0/s (0.0%)');
  // A baseline that missed the SLO cannot vouch for the overload row's p99.
  const noBaseline = overloadChecks([overloadRow('on', 0.8, Array(100).fill(900), []), ...rows.slice(1)], 100, 500);
  assert.equal(noBaseline[0]?.verdict, 'inconclusive');
  assert.match(noBaseline[0]?.note ?? '', /0\.8x row itself missed the 500 ms SLO \(2xx p99 900 ms\)/);
});

test('ratios are computed pair by pair within a round, then summarised by their median', () => {
  // Round 1 was noisy for both sides (10x slower); a ratio of averages would say 1.08x.
  const records = [
    { side: 'direct', rate: 500, round: 1, p99: 100 },
    { side: 'sluice', rate: 500, round: 1, p99: 100 },
    { side: 'direct', rate: 500, round: 2, p99: 10 },
    { side: 'sluice', rate: 500, round: 2, p99: 20 },
    { side: 'direct', rate: 500, round: 3, p99: 10 },
    { side: 'sluice', rate: 500, round: 3, p99: 30 },
    { side: 'direct', rate: 1000, round: 1, p99: 0 },
    { side: 'sluice', rate: 1000, round: 1, p99: 5 },
    { side: 'sluice', rate: 2000, round: 1, p99: 5 },
  ];
  const summaries = pairRatios(records, {
    a: 'direct',
    b: 'sluice',
    group: (record) => record.rate,
    value: (record) => record.p99,
  });
  assert.deepEqual(
    summaries.map((summary) => summary.group),
    [500, 1000],
    'a rate with one side only has no pair',
  );
  const [at500, at1000] = summaries;
  assert.deepEqual(
    at500?.pairs.map((pair) => pair.ratio),
    [1, 2, 3],
  );
  assert.deepEqual([at500?.median, at500?.min, at500?.max], [2, 1, 3]);
  assert.equal(formatRatio(at500 ?? { median: undefined, min: undefined, max: undefined }), '2.00x (1.00x–3.00x)');
  assert.equal(at1000?.median, undefined, 'no ratio against a zero');
  assert.equal(median([1, 2, 3, 4]), 2.5);
});

test('the progress bar prints one line per finished row where there is no terminal, and redraws in place on one', () => {
  const written: string[] = [];
  const pipe = new ProgressBar('demo', 4, 1000, { isTTY: false, write: (text) => written.push(text) > 0 });
  pipe.start('100/s a');
  pipe.finish('100/s a: p99 3 ms');
  pipe.start('100/s b');
  pipe.finish('100/s b: p99 4 ms');
  pipe.close();
  assert.equal(written.length, 2, 'nothing but finished rows on a pipe');
  assert.match(written[0] ?? '', /^demo \[#{6}-{18}\] 1\/4 rows .* left {2}100\/s a: p99 3 ms\n$/);
  assert.match(written[1] ?? '', /^demo \[#{12}-{12}\] 2\/4 rows/);
  const screen: string[] = [];
  const terminal = new ProgressBar('demo', 2, 1000, { isTTY: true, write: (text) => screen.push(text) > 0 });
  terminal.start('row 1');
  terminal.finish('row 1: done');
  terminal.close();
  assert.ok(
    screen.every((text) => text.startsWith('\r')),
    'every write returns to the line start',
  );
  assert.ok(
    screen.some((text) => text === '\r\x1b[K  row 1: done\n'),
    'a finished row stays on screen above the bar',
  );
  assert.equal(formatDuration(65_000), '1m05s');
});

test('the refusal floor bounds goodput: what is left of one core after refusing every arrival beyond what is served', () => {
  const idle = { client: 0, other: 0 };
  // 100 µs a request served (10k/s on one core), 25 µs a refusal (40k/s on one core).
  const report = shedBounds(
    { okPerS: 10_000, serverCores: 1 },
    { refusalsPerS: 40_000, cpu: { server: 1, ...idle } },
    [2, 3, 4],
  );
  assert.equal(Math.round(report.servedUs), 100);
  assert.equal(Math.round(report.refusedUs), 25);
  assert.deepEqual(
    report.bounds.map((bound) => Math.round(bound.goodputFraction * 100)),
    [67, 33, 0],
  );
  assert.deepEqual(
    report.bounds.map((bound) => bound.arrivalsPerS),
    [20_000, 30_000, 40_000],
  );
  // A floor measured at half a core costs half as much per refusal.
  const halfCore = shedBounds(
    { okPerS: 10_000, serverCores: 1 },
    { refusalsPerS: 40_000, cpu: { server: 0.5, ...idle } },
    [3],
  );
  assert.equal(Math.round((halfCore.bounds[0]?.goodputFraction ?? 0) * 100), 71);
  assert.match(floorTable(report), /\| 3x \| 30000 \| 33% \|/);
});

test("a counter's change between two scrapes, per label value, a value new in the later one counted whole", () => {
  const before = parsePrometheusText('x_total{guard="a",m="1"} 3\nx_total{guard="a",m="2"} 1\ny_total 9\n');
  const after = parsePrometheusText(
    'x_total{guard="a",m="1"} 5\nx_total{guard="a",m="2"} 4\nx_total{guard="b",m="1"} 2\ny_total 10\n',
  );
  assert.deepEqual(Object.fromEntries(counterDelta(before, after, 'x_total', 'guard')), { a: 5, b: 2 });
  assert.deepEqual(Object.fromEntries(counterDelta(before, after, 'y_total')), { '': 1 });
});
