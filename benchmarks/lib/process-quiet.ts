/**
 * Waits until processes have stopped using CPU. A gateway pushed past its capacity keeps
 * working through its backlog after the client gave up; on a core it shares with the
 * next row's servers, that work would be charged to the next row.
 */
import { readCpuSeconds } from './process-usage.ts';
import type { IdleResult } from './server-idle.ts';

/** Below this many cores over one poll a process counts as quiet (an idle Node.js server's timers use ~0.01). */
export const QUIET_CORES = 0.05;

export async function waitUntilQuiet(pids: readonly number[], timeoutMs: number, pollMs = 250): Promise<IdleResult> {
  const started = performance.now();
  let previous = { at: started, cpu: pids.map((pid) => readCpuSeconds(pid)) };
  while (performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const now = { at: performance.now(), cpu: pids.map((pid) => readCpuSeconds(pid)) };
    const seconds = (now.at - previous.at) / 1000;
    // A process that is gone (undefined) uses no CPU.
    const busy = now.cpu.some(
      (used, index) => used !== undefined && (used - (previous.cpu[index] ?? used)) / seconds >= QUIET_CORES,
    );
    if (!busy) return { idle: true, waitedMs: now.at - started };
    previous = now;
  }
  return { idle: false, waitedMs: performance.now() - started };
}
