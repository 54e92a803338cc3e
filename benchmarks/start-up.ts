/**
 * Start-up time of `node bin/sluice.js serve` in one or more checkouts: from spawning the
 * process to the first 200 on /v2/health/live, and on /v2/health/ready, with the models
 * already built. Checkouts take turns (A B B A …) so a machine's drift hits them alike.
 *
 *   node --import tsx benchmarks/start-up.ts --runs 8 --models DIR LABEL=CHECKOUT [LABEL=CHECKOUT …]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { freePort } from './lib/server-process.ts';

const POLL_MS = 5;
const TIMEOUT_MS = 120_000;

interface StartTimes {
  readonly liveMs: number;
  readonly readyMs: number;
}

async function startOnce(root: string, models: string): Promise<StartTimes> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const args = ['bin/sluice.js', 'serve', '--port', String(port), '--models', models];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, SLUICE_SERVER__HOST: '127.0.0.1' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const liveMs = (await firstOk(`${origin}/v2/health/live`, started, child.pid)) - started;
    const readyMs = (await firstOk(`${origin}/v2/health/ready`, started, child.pid)) - started;
    return { liveMs, readyMs };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function firstOk(url: string, started: number, pid: number | undefined): Promise<number> {
  while (performance.now() - started < TIMEOUT_MS) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${url} (pid ${pid}) did not answer 200 within ${TIMEOUT_MS} ms`);
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const seconds = (ms: number | undefined) => ((ms ?? NaN) / 1000).toFixed(1);
  return `${seconds(sorted[Math.floor((sorted.length - 1) / 2)])} s (${seconds(sorted[0])}–${seconds(sorted.at(-1))})`;
}

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '8' }, models: { type: 'string' } },
  allowPositionals: true,
});
if (values.models === undefined || positionals.length === 0)
  throw new Error('usage: start-up.ts --runs N --models DIR LABEL=CHECKOUT [LABEL=CHECKOUT …]');
const sides = positionals.map((side) => {
  const [label = side, root = '.'] = side.split('=');
  return { label, root, times: [] as StartTimes[] };
});
for (let run = 0; run < Number(values.runs); run++) {
  for (const side of run % 2 === 0 ? sides : [...sides].reverse()) {
    const times = await startOnce(side.root, values.models);
    side.times.push(times);
    console.error(`${side.label} ${run + 1}: live ${times.liveMs.toFixed(0)} ms, ready ${times.readyMs.toFixed(0)} ms`);
  }
}
console.log('| run | to /v2/health/live | to /v2/health/ready |\n| --- | --- | --- |');
for (const { label, times } of sides)
  console.log(`| ${label} | ${summary(times.map((t) => t.liveMs))} | ${summary(times.map((t) => t.readyMs))} |`);
