/**
 * What batching can gain on one model, measured on raw ONNX Runtime: items/s at batch
 * sizes 1, 2, 4, … up to the model's `max_batch_size`, on prebuilt batches, in one
 * session with sluice's own session options (`openOnnxSession`, threads from sluice's
 * configuration, as the `batching` benchmark's ceiling child does). The gain is items/s
 * at the best size over items/s at size 1: the most any batcher could earn on this model
 * and this machine, before HTTP, JSON or queueing take their share.
 *
 * Sizes take turns in short slices, round after round, and each keeps its best slice, so
 * a burst of load from elsewhere on the machine lowers one slice instead of one size.
 *
 * Usage: node --import tsx benchmarks/lib/raw-ort-ceiling.ts <model version dir | repository>…
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import type { BatchTensors } from '../../src/core/tensors.ts';
import { stackRows } from '../../src/engines/local/batching/assemble.ts';
import { openOnnxSession, type OnnxSession } from '../../src/engines/local/models/onnx-session.ts';
import { readModelRepository, readModelVersion } from '../../src/engines/local/models/repository.ts';
import { makePreprocessor } from '../../src/engines/local/preprocess/index.ts';
import { fullBatches, goldenItems } from './golden-items.ts';

export interface RawCeilingOptions {
  /** Measured time per batch size, all rounds together. */
  readonly msPerSize?: number;
  readonly rounds?: number;
  /** ONNX Runtime intra-op threads; sluice's configured value (SLUICE_* environment included) when absent. */
  readonly intraOpThreads?: number;
}

export interface RawCeilingRow {
  readonly batchSize: number;
  /** Batches run in the best slice. */
  readonly batches: number;
  readonly itemsPerS: number;
  readonly batchMs: number;
  readonly itemMs: number;
  /** This process's CPU time per item: what an item costs whatever share of a core the rest of the machine left. */
  readonly cpuItemMs: number;
}

export interface RawCeiling {
  readonly model: string;
  readonly intraOpThreads: number;
  readonly rows: readonly RawCeilingRow[];
  readonly best: RawCeilingRow;
  /** Items/s at the best size ÷ items/s at size 1. */
  readonly gain: number;
}

const DEFAULT_MS_PER_SIZE = 1500;
const DEFAULT_ROUNDS = 5;

/** 1, 2, 4, … below `max`, then `max` itself. */
export function doublingSizes(max: number): number[] {
  const sizes: number[] = [];
  for (let size = 1; size < max; size *= 2) sizes.push(size);
  sizes.push(max);
  return sizes;
}

export async function measureRawCeiling(versionDir: string, options: RawCeilingOptions = {}): Promise<RawCeiling> {
  const { spec, onnxPath } = readModelVersion(versionDir);
  const intraOpThreads = options.intraOpThreads ?? loadConfig({ env: process.env }).models.intra_op_threads;
  const session = await openOnnxSession(onnxPath, spec.tensors, { intraOpThreads });
  try {
    // Batches are stacked from the golden items the way sluice's batcher stacks them.
    const preprocess = makePreprocessor(spec);
    const items = await goldenItems(versionDir, spec.inputs);
    const sizes = doublingSizes(spec.batching.max_batch_size);
    const batches = new Map(
      sizes.map((size) => {
        const stacked = fullBatches(items, size).map((batch) =>
          stackRows(batch.map(preprocess), spec.tensors.inputs, spec.batching.ragged),
        );
        return [size, stacked] as const;
      }),
    );
    for (const stacked of batches.values()) for (const batch of stacked) await session.run(batch);
    const rounds = options.rounds ?? DEFAULT_ROUNDS;
    const sliceMs = (options.msPerSize ?? DEFAULT_MS_PER_SIZE) / rounds;
    const best = new Map<number, RawCeilingRow>();
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        const row = await measureSlice(session, size, batches.get(size) ?? [], sliceMs);
        if (row.itemsPerS > (best.get(size)?.itemsPerS ?? 0)) best.set(size, row);
      }
    }
    const rows = sizes.map((size) => best.get(size) as RawCeilingRow);
    return summarise(spec.name, intraOpThreads, rows);
  } finally {
    await session.release();
  }
}

/** Runs the batches in turn until `durationMs` is up (at least one run). */
async function measureSlice(
  session: OnnxSession,
  size: number,
  batches: readonly BatchTensors[],
  durationMs: number,
): Promise<RawCeilingRow> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let runs = 0;
  do {
    await session.run(batches[runs % batches.length] as BatchTensors);
    runs++;
  } while (performance.now() - started < durationMs);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const batchMs = elapsedMs / runs;
  const cpuItemMs = (cpu.user + cpu.system) / 1000 / (runs * size);
  return {
    batchSize: size,
    batches: runs,
    itemsPerS: (runs * size * 1000) / elapsedMs,
    batchMs,
    itemMs: batchMs / size,
    cpuItemMs,
  };
}

export function summarise(model: string, intraOpThreads: number, rows: readonly RawCeilingRow[]): RawCeiling {
  const single = rows[0];
  if (single === undefined) throw new Error('no batch sizes measured');
  const best = rows.reduce((top, row) => (row.itemsPerS > top.itemsPerS ? row : top), single);
  return { model, intraOpThreads, rows, best, gain: best.itemsPerS / single.itemsPerS };
}

export function rawCeilingTable(ceiling: RawCeiling): string {
  const single = ceiling.rows[0]?.itemsPerS ?? 1;
  const lines = ceiling.rows.map((row) =>
    [
      row.batchSize === ceiling.best.batchSize ? `**${row.batchSize}**` : String(row.batchSize),
      row.itemsPerS.toFixed(0),
      row.batchMs.toFixed(3),
      row.itemMs.toFixed(3),
      row.cpuItemMs.toFixed(3),
      `${(row.itemsPerS / single).toFixed(2)}x`,
    ].join(' | '),
  );
  return [
    `${ceiling.model} (intra_op_threads ${ceiling.intraOpThreads}): gain ${ceiling.gain.toFixed(2)}x at batch ${ceiling.best.batchSize}`,
    '',
    'batch | items/s | ms/batch | ms/item | CPU ms/item | vs batch 1',
    '---: | ---: | ---: | ---: | ---: | ---:',
    ...lines,
    '',
    "CPU ms/item: this process's CPU time over the best slice; well below ms/item means the machine was busy and the row reads low",
  ].join('\n');
}

/** A version directory (it holds model.yaml), or a repository: every model version in it. */
function versionDirs(path: string): string[] {
  if (existsSync(join(path, 'model.yaml'))) return [path];
  return readModelRepository(path).map((entry) => entry.dir);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) throw new Error('usage: raw-ort-ceiling.ts <model version dir | repository>…');
  for (const dir of paths.flatMap(versionDirs)) console.log(`${rawCeilingTable(await measureRawCeiling(dir))}\n`);
}
