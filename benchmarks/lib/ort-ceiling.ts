/**
 * The ceiling process of the `batching` benchmark (ort-ceiling-child.ts) from the
 * benchmark's side: started pinned to the server CPUs like a sluice server, asked for one
 * measurement at a time over its stdin, stopped when the model's rows are done or the
 * benchmark exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REPOSITORY_ROOT } from './server-process.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('./ort-ceiling-child.ts', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
/** A measurement answers within its duration plus this, or the child is taken for hung. */
const ANSWER_SLACK_MS = 30_000;
const live = new Set<ChildProcess>();

// A benchmark that crashes or is interrupted must not leave a ceiling process behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** What the child found and decided before measuring. */
export interface CeilingReady {
  readonly type: 'ready';
  readonly model: string;
  /** Sessions run at once: as many as sluice would run batches at once on these CPUs. */
  readonly instances: number;
  readonly intraOpThreads: number;
  readonly executionSlots: number;
  readonly batchSize: number;
  /** Distinct prebuilt batches, cycled through. */
  readonly batches: number;
  readonly meanPaddedRowLength: number;
}

export interface CeilingMeasurement {
  readonly type: 'result';
  /** Whether each batch was preprocessed and stacked from the items inside the measured time. */
  readonly preprocess: boolean;
  /** Items per batch: max_batch_size unless the measurement asked for another. */
  readonly batchSize: number;
  readonly batches: number;
  readonly items: number;
  readonly elapsedMs: number;
  readonly itemsPerS: number;
  /** The child's own CPU over the measurement, in cores. */
  readonly cpuCores: number;
  readonly meanBatchMs: number;
}

export interface CeilingProcess {
  readonly pid: number;
  readonly ready: CeilingReady;
  /** Full batches of `batchSize` (the model's max_batch_size by default) back to back for `durationMs`. */
  measure(durationMs: number, preprocess: boolean, batchSize?: number): Promise<CeilingMeasurement>;
  stop(): Promise<void>;
}

export interface CeilingOptions {
  /** `<repository>/<model>/<version>`. */
  readonly versionDir: string;
  /** taskset CPU list; unpinned when absent. */
  readonly cpus: string | undefined;
  /** The `SLUICE_*` overrides the sluice servers get, so the sessions are configured alike. */
  readonly env?: Readonly<Record<string, string>>;
  readonly root?: string;
}

export async function startCeiling(options: CeilingOptions): Promise<CeilingProcess> {
  const command = [process.execPath, '--import', 'tsx', CHILD_SCRIPT, options.versionDir];
  const [program, ...args] = options.cpus === undefined ? command : ['taskset', '-c', options.cpus, ...command];
  const child = spawn(program as string, args, {
    cwd: options.root ?? REPOSITORY_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => live.delete(child));
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const lines = lineReader(child, exited, () => stderr.join('').slice(-2000));
  const stop = () => stopChild(child, exited);
  try {
    const ready = await lines.next(READY_TIMEOUT_MS);
    if (!isReady(ready)) throw new Error(`unexpected first line from the ceiling process: ${JSON.stringify(ready)}`);
    const measure = async (durationMs: number, preprocess: boolean, batchSize?: number) => {
      child.stdin?.write(`${JSON.stringify({ durationMs, preprocess, batchSize })}\n`);
      const answer = await lines.next(durationMs + ANSWER_SLACK_MS);
      if (!isMeasurement(answer))
        throw new Error(`unexpected answer from the ceiling process: ${JSON.stringify(answer)}`);
      return answer;
    };
    return { pid: child.pid ?? -1, ready, measure, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface LineReader {
  /** The next JSON line, or an error when the child reports one, exits or takes longer than `timeoutMs`. */
  next(timeoutMs: number): Promise<unknown>;
}

function lineReader(child: ChildProcess, exited: Promise<number | null>, stderrTail: () => string): LineReader {
  const queued: string[] = [];
  let wake: (() => void) | undefined;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    wake?.();
  });
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      queued.push(line);
      wake?.();
    });
  }
  const next = async (timeoutMs: number): Promise<unknown> => {
    const deadline = performance.now() + timeoutMs;
    while (queued.length === 0) {
      if (exitCode !== undefined) throw new Error(`the ceiling process exited (code ${exitCode})\n${stderrTail()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the ceiling process did not answer within ${timeoutMs} ms\n${stderrTail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    const message: unknown = JSON.parse(queued.shift() ?? 'null');
    if (isRecord(message) && message['type'] === 'error')
      throw new Error(`the ceiling process failed: ${String(message['message'])}\n${stderrTail()}`);
    return message;
  };
  return { next };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Ending stdin is its signal to release its sessions and exit; SIGKILL if it does not.
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isReady(value: unknown): value is CeilingReady {
  return (
    isRecord(value) &&
    value['type'] === 'ready' &&
    typeof value['instances'] === 'number' &&
    typeof value['batchSize'] === 'number'
  );
}

function isMeasurement(value: unknown): value is CeilingMeasurement {
  return (
    isRecord(value) &&
    value['type'] === 'result' &&
    typeof value['itemsPerS'] === 'number' &&
    typeof value['items'] === 'number'
  );
}
