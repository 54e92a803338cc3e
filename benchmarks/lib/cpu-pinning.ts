/**
 * Servers and load generator on separate CPUs. On a two-core machine a generator
 * offering 3x a server's capacity needs a core of its own: left to the scheduler it
 * takes CPU from the server it measures, and the run measures the generator.
 */
import { execFileSync } from 'node:child_process';
import { cpus as machineCpus } from 'node:os';

export interface CpuPinning {
  /** taskset CPU lists, e.g. "0" and "1". */
  readonly server: string;
  readonly client: string;
}

/** Given lists win; otherwise with two or more CPUs: servers on CPU 0, the generator on the rest. */
export function defaultPinning(server: string | undefined, client: string | undefined): CpuPinning | undefined {
  // The machine's CPUs, not this process's affinity: once pinned, that would be one.
  const cpus = machineCpus().length;
  if (server !== undefined || client !== undefined) return { server: server ?? '0', client: client ?? `1-${cpus - 1}` };
  if (cpus < 2) return undefined;
  return { server: '0', client: cpus === 2 ? '1' : `1-${cpus - 1}` };
}

/** Pins every thread of this process (the generator, its undici and libuv threads). */
export function pinThisProcess(cpus: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(
      `cannot pin the load generator to CPUs ${cpus} with taskset (util-linux): ${(error as Error).message}; run with --no-pin to skip`,
    );
  }
}
