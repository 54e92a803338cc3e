/**
 * What a budget check adds to a request (issue 16: "the budget check's added latency with
 * Redis against in-memory"): the limit store's reserve (every counter checked and added in
 * one atomic step) and settle, as a request with a tenant budget, a key budget and a rate
 * limit does them, timed per request from the reserve's call to the settle's answer. The
 * stores take turns in rounds; requests go one at a time, then 64 at once (a server's
 * concurrency), each request on its own counters' keys as a tenant's traffic would share them.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 taskset -c 1 node --import tsx benchmarks/limit-latency.ts [rounds] [requests]
 *
 * Redis runs where REDIS_URL points (a local server: loopback, its own process and CPU).
 */
import { performance } from 'node:perf_hooks';
import type { LimitStore } from '../src/cost/limits/limit-store.ts';
import { MemoryLimitStore } from '../src/cost/limits/memory-limit-store.ts';
import { RedisLimitStore } from '../src/cost/limits/redis-limit-store.ts';

const rounds = Number(process.argv[2] ?? 5);
const requests = Number(process.argv[3] ?? 5_000);
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CONCURRENCY = [1, 64] as const;
/** Counters outlive the run by a minute, then Redis forgets them. */
const MINUTE_MS = 60_000;

/** A request's counters: its tenant's day budget, its key's day budget, its tenant's requests a minute. */
function checksOf(prefix: string) {
  const expiresAtMs = Date.now() + MINUTE_MS;
  return [
    { key: `${prefix}:tenant:spend:day`, amount: 2_000_000, limit: Number.MAX_SAFE_INTEGER, expiresAtMs },
    { key: `${prefix}:key:spend:day`, amount: 2_000_000, limit: Number.MAX_SAFE_INTEGER, expiresAtMs },
    { key: `${prefix}:tenant:requests:minute`, amount: 1, limit: Number.MAX_SAFE_INTEGER, expiresAtMs },
  ];
}

/** Milliseconds from reserve to settled, per request, `concurrency` requests in flight. */
async function timeChecks(store: LimitStore, prefix: string, concurrency: number): Promise<number[]> {
  const checks = checksOf(prefix);
  const settle = checks.slice(0, 2).map((check) => ({ key: check.key, delta: -500_000 }));
  const times: number[] = [];
  const one = async () => {
    const started = performance.now();
    const verdict = await store.reserve(checks);
    if (!verdict.admitted) throw new Error('a reservation was refused: the limits are meant never to bind');
    await store.settle(settle);
    times.push(performance.now() - started);
  };
  for (let sent = 0; sent < requests; sent += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, requests - sent) }, one));
  }
  return times;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const redis = new RedisLimitStore({
  url,
  prefix: `sluice:bench:${process.pid}:`,
  commandTimeoutMs: 5_000,
  onError: () => {},
});
if (!(await redis.connected(5_000))) throw new Error(`Redis at ${url} did not connect in 5 s: set REDIS_URL`);
const stores: ReadonlyArray<[string, LimitStore]> = [
  ['memory', new MemoryLimitStore()],
  ['redis', redis],
];
const samples = new Map<string, number[]>();
try {
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, store] of round % 2 === 0 ? stores : [...stores].reverse()) {
      for (const concurrency of CONCURRENCY) {
        const key = `${name} × ${concurrency}`;
        samples.set(key, [...(samples.get(key) ?? []), ...(await timeChecks(store, `r${round}`, concurrency))]);
      }
    }
  }
} finally {
  for (const [, store] of stores) await store.close();
}
console.log('| store × requests in flight | p50 ms | p99 ms | max ms |');
console.log('| --- | ---: | ---: | ---: |');
for (const [key, times] of samples) {
  const sorted = [...times].sort((a, b) => a - b);
  const cells = [0.5, 0.99, 1].map((q) => quantile(sorted, q).toFixed(3));
  console.log(`| ${key} | ${cells.join(' | ')} |`);
}
process.exit(0);
