/**
 * The ceiling of the `batching` benchmark, as its own process (started by ort-ceiling.ts,
 * pinned to the server CPUs): raw ONNX Runtime on ideal batches of one model, with
 * nothing of sluice around it but the pieces that decide what the model computes —
 * sluice's own session options (`openOnnxSession`, threads from sluice's configuration),
 * its preprocessing and its batch stacking. No HTTP, no JSON, no queue.
 *
 * Usage: node --import tsx ort-ceiling-child.ts <model version dir>
 * Protocol, one JSON object per line: it prints a `ready` line, then answers each
 * `{"durationMs": n, "preprocess": bool, "batchSize"?: n}` on stdin with a `result` line; it exits when
 * stdin ends.
 */
import { createInterface } from 'node:readline';
import { stackRows } from '../../src/engines/local/batching/assemble.ts';
import { loadConfig } from '../../src/config/load.ts';
import { defaultExecutionSlots } from '../../src/engines/local/models/execution-slots.ts';
import { openOnnxSession, type OnnxSession } from '../../src/engines/local/models/onnx-session.ts';
import { readModelVersion } from '../../src/engines/local/models/repository.ts';
import { makePreprocessor, type Preprocessor } from '../../src/engines/local/preprocess/index.ts';
import type { BatchTensors } from '../../src/core/tensors.ts';
import { fullBatches, goldenItems, type GoldenItem } from './golden-items.ts';
import type { CeilingMeasurement, CeilingReady } from './ort-ceiling.ts';

/** A guard against a clock that never advances; no real row comes near it. */
const MAX_BATCHES_PER_MEASUREMENT = 10_000_000;
/** Unmeasured runs before the first measurement: every batch once, then this long. */
const WARMUP_MS = 500;

interface Ceiling {
  readonly sessions: readonly OnnxSession[];
  /** The model's max_batch_size: the batch size unless a command names another. */
  readonly batchSize: number;
  /** The golden items, chunked into full batches, and the same batches already stacked, by batch size. */
  readonly bySize: Map<number, SizedBatches>;
  readonly items: readonly GoldenItem[];
  /** Stacks one batch of items the way sluice's batcher would, preprocessing included. */
  readonly prepare: (items: readonly GoldenItem[]) => BatchTensors;
}

interface SizedBatches {
  readonly itemBatches: readonly (readonly GoldenItem[])[];
  readonly stacked: readonly BatchTensors[];
}

/** The full batches of one size, built the first time a command asks for that size. */
function batchesOf(ceiling: Ceiling, size: number): SizedBatches {
  let batches = ceiling.bySize.get(size);
  if (batches === undefined) {
    const itemBatches = fullBatches(ceiling.items, size);
    batches = { itemBatches, stacked: itemBatches.map(ceiling.prepare) };
    ceiling.bySize.set(size, batches);
  }
  return batches;
}

async function openCeiling(versionDir: string): Promise<{ ceiling: Ceiling; ready: CeilingReady }> {
  const { spec, onnxPath } = readModelVersion(versionDir);
  // The configuration a sluice server started with this environment would have.
  const config = loadConfig({ env: process.env });
  const slots = config.models.execution_slots === 0 ? defaultExecutionSlots() : config.models.execution_slots;
  // Batches sluice runs at once: one per instance, within the concurrency limit and the process's execution slots.
  const instances = Math.max(1, Math.min(spec.instances.max_instances, spec.concurrency.max_limit, slots));
  const sessions = await Promise.all(
    Array.from({ length: instances }, () =>
      openOnnxSession(onnxPath, spec.tensors, { intraOpThreads: config.models.intra_op_threads }),
    ),
  );
  const preprocess: Preprocessor = makePreprocessor(spec);
  const prepare = (items: readonly GoldenItem[]) =>
    stackRows(
      items.map((item) => preprocess(item)),
      spec.tensors.inputs,
      spec.batching.ragged,
    );
  const batchSize = spec.batching.max_batch_size;
  const items = await goldenItems(versionDir, spec.inputs);
  const ceiling: Ceiling = { sessions, batchSize, bySize: new Map(), items, prepare };
  const { stacked } = batchesOf(ceiling, batchSize);
  const ready: CeilingReady = {
    type: 'ready',
    model: spec.name,
    instances,
    intraOpThreads: config.models.intra_op_threads,
    executionSlots: slots,
    batchSize,
    batches: stacked.length,
    meanPaddedRowLength: meanRowLength(stacked),
  };
  return { ceiling, ready };
}

/** Elements per row of the first input after padding: for text models, the padded token count. */
function meanRowLength(batches: readonly BatchTensors[]): number {
  const lengths = batches.map((batch) => {
    const first = Object.values(batch)[0];
    return first === undefined ? 0 : first.data.length / Math.max(1, first.dims[0] ?? 1);
  });
  return lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, lengths.length);
}

/**
 * Every session runs batch after batch until the time is up, as sluice's instances would
 * if their queue never emptied. The batches are shared in turn, so sessions cycle
 * through all of them. With `preprocess`, each batch is preprocessed and stacked anew.
 */
async function measure(
  ceiling: Ceiling,
  durationMs: number,
  preprocess: boolean,
  batchSize = ceiling.batchSize,
): Promise<CeilingMeasurement> {
  const { itemBatches, stacked } = batchesOf(ceiling, batchSize);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + durationMs;
  let next = 0;
  const loop = async (session: OnnxSession): Promise<void> => {
    while (performance.now() < end && next < MAX_BATCHES_PER_MEASUREMENT) {
      const index = next++ % stacked.length;
      const batch = preprocess ? ceiling.prepare(itemBatches[index] ?? []) : (stacked[index] as BatchTensors);
      await session.run(batch);
    }
  };
  await Promise.all(ceiling.sessions.map(loop));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const items = next * batchSize;
  return {
    type: 'result',
    preprocess,
    batchSize,
    batches: next,
    items,
    elapsedMs,
    itemsPerS: items / (elapsedMs / 1000),
    cpuCores: (cpu.user + cpu.system) / 1000 / elapsedMs,
    meanBatchMs: (elapsedMs * ceiling.sessions.length) / Math.max(1, next),
  };
}

async function warmUp(ceiling: Ceiling): Promise<void> {
  for (const batch of batchesOf(ceiling, ceiling.batchSize).stacked) await ceiling.sessions[0]?.run(batch);
  await measure(ceiling, WARMUP_MS, false);
}

interface Command {
  readonly durationMs: number;
  readonly preprocess: boolean;
  /** Full batches of this size instead of max_batch_size. */
  readonly batchSize: number | undefined;
}

function parseCommand(line: string): Command {
  const command: unknown = JSON.parse(line);
  if (typeof command !== 'object' || command === null) throw new Error(`not a command: ${line}`);
  const { durationMs, preprocess, batchSize } = command as Record<string, unknown>;
  const sizeOk =
    batchSize === undefined || (typeof batchSize === 'number' && Number.isInteger(batchSize) && batchSize >= 1);
  if (typeof durationMs !== 'number' || !(durationMs > 0) || typeof preprocess !== 'boolean' || !sizeOk)
    throw new Error(`expected {"durationMs": n, "preprocess": bool, "batchSize"?: n}, got ${line}`);
  return { durationMs, preprocess, batchSize: batchSize as number | undefined };
}

async function main(): Promise<void> {
  const versionDir = process.argv[2];
  if (versionDir === undefined) throw new Error('usage: ort-ceiling-child.ts <model version dir>');
  const { ceiling, ready } = await openCeiling(versionDir);
  await warmUp(ceiling);
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    const { durationMs, preprocess, batchSize } = parseCommand(line);
    process.stdout.write(`${JSON.stringify(await measure(ceiling, durationMs, preprocess, batchSize))}\n`);
  }
  await Promise.all(ceiling.sessions.map((session) => session.release()));
}

try {
  await main();
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) })}\n`,
  );
  process.exitCode = 1;
}
