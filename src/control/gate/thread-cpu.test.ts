import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { processCpuMs, threadCpuClock } from './thread-cpu.ts';

/** Busy for `ms` of wall time. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('threadCpuClock', () => {
  it('reads this thread’s own CPU time on Linux, the process’s elsewhere', () => {
    const clock = threadCpuClock();
    assert.equal(clock.perThread, existsSync('/proc/thread-self/schedstat'));
    const before = clock.read();
    spin(60);
    const spent = clock.read() - before;
    // Wall time, not CPU time, bounds the spin: a busy machine may run this thread less.
    assert.ok(spent > 5 && spent < 1_000, `60 ms of spinning read as ${spent} ms`);
  });

  it('does not count another thread’s work, which the process’s CPU time does', async () => {
    const clock = threadCpuClock();
    // Without per-thread CPU time (not Linux) the guard reads the process's: that is all there is to check.
    if (!clock.perThread) return assert.equal(clock.read, processCpuMs);
    const [threadBefore, processBefore] = [clock.read(), processCpuMs()];
    // A fixed amount of work (~250 ms of CPU here), however long a busy machine takes to run it.
    const worker = new Worker(
      'let x = 0; for (let i = 0; i < 3e8; i++) x += i & 1; require("node:worker_threads").parentPort.postMessage(x);',
      { eval: true },
    );
    await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    const [threadSpent, processSpent] = [clock.read() - threadBefore, processCpuMs() - processBefore];
    assert.ok(processSpent >= 100, `the process spent ${processSpent} ms while the worker worked`);
    assert.ok(threadSpent < processSpent / 2, `the main thread spent ${threadSpent} ms, the process ${processSpent}`);
  });
});
