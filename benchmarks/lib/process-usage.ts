/**
 * What a process uses, from /proc (Linux): resident memory from /proc/<pid>/status and
 * CPU time from /proc/<pid>/stat. VmHWM is the peak over the process's whole life; a
 * peak for one run needs VmRSS sampled during that run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  readonly rssBytes: number;
  readonly hwmBytes: number;
}

/** Undefined when the process is gone or /proc is not there. */
export function readMemory(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = kilobytesOf(status, 'VmRSS');
  const hwm = kilobytesOf(status, 'VmHWM');
  return rss === undefined || hwm === undefined ? undefined : { rssBytes: rss * 1024, hwmBytes: hwm * 1024 };
}

function kilobytesOf(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export interface RssSampler {
  /** Stops sampling; the largest VmRSS seen since the start, or undefined if none could be read. */
  stop(): number | undefined;
}

export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peak: number | undefined;
  const sample = () => {
    const reading = readMemory(pid);
    if (reading !== undefined) peak = Math.max(peak ?? 0, reading.rssBytes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Clock ticks per second of /proc's CPU times; 100 on nearly every Linux, asked once. */
const TICKS_PER_SECOND = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU seconds the process has used so far; undefined when it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name in parentheses may hold spaces; fields 14 and 15 (utime, stime) count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return Number.isFinite(user) && Number.isFinite(system) ? (user + system) / TICKS_PER_SECOND : undefined;
}

/** Busy CPU seconds of the whole machine so far, all cores (time stolen by a hypervisor counts as busy). */
export function readMachineBusySeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const fields = (/^cpu\s+(.*)$/m.exec(stat)?.[1] ?? '').split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** CPU used over a stretch of time, in cores (1.0 = one core busy throughout). */
export interface CpuCores {
  readonly server: number;
  /** This process: the load generator. */
  readonly client: number;
  /** Everything else on the machine: on a shared machine, the neighbours' noise. */
  readonly other: number;
}

/** Starts measuring; `read()` gives the CPU used since, by the server `pid`, this process and the rest. */
export function startCpuMeter(pid: number): { read(): CpuCores } {
  const started = performance.now();
  const server = readCpuSeconds(pid) ?? 0;
  const client = process.cpuUsage();
  const machine = readMachineBusySeconds() ?? 0;
  return {
    read: () => {
      const seconds = (performance.now() - started) / 1000;
      const serverCores = ((readCpuSeconds(pid) ?? server) - server) / seconds;
      const used = process.cpuUsage(client);
      const clientCores = (used.user + used.system) / 1e6 / seconds;
      const machineCores = ((readMachineBusySeconds() ?? machine) - machine) / seconds;
      return { server: serverCores, client: clientCores, other: Math.max(0, machineCores - serverCores - clientCores) };
    },
  };
}
