/**
 * Raw ONNX Runtime as a side of `real-models`: the `batching` benchmark's ceiling process
 * (ort-ceiling-child.ts: sluice's session options and threads, on the server CPUs), first
 * swept over batch sizes 1, 2, 4, … max_batch_size to find its best batch and its own
 * batching gain (raw-ort-ceiling.ts's table), then in every round at its best batch and at
 * batch 1, beside the sluice sides.
 */
import type { RowRecord } from './batching-report.ts';
import { runCeilingRow } from './batching-rows.ts';
import type { CeilingProcess } from './ort-ceiling.ts';
import { doublingSizes, summarise, type RawCeiling, type RawCeilingRow } from './raw-ort-ceiling.ts';
import { SIDES } from './real-models-report.ts';
import type { SluiceProcess } from './server-process.ts';

/** Passes over the sizes; each size keeps its best slice, so a burst of load elsewhere lowers one slice, not one size. */
const SWEEP_PASSES = 2;

export interface CeilingSide {
  readonly model: string;
  readonly process: CeilingProcess;
  /** Servers of the model, idle before every row. */
  readonly servers: readonly SluiceProcess[];
  /** Set by `sweepCeiling`. */
  sweep: RawCeiling | undefined;
  /** One round's rows: raw ORT at its best batch, then at batch 1. */
  rows(durationMs: number, round: number): Promise<RowRecord[]>;
}

export function ceilingSide(model: string, process: CeilingProcess, servers: readonly SluiceProcess[]): CeilingSide {
  const side: CeilingSide = {
    model,
    process,
    servers,
    sweep: undefined,
    rows: async (durationMs, round) => {
      const best = side.sweep?.best.batchSize ?? process.ready.batchSize;
      const records: RowRecord[] = [];
      for (const [size, name] of [
        [best, SIDES.rawBest],
        [1, SIDES.rawOne],
      ] as const) {
        const row = await runCeilingRow({ model, servers }, process, false, durationMs, round, size);
        records.push({ ...row.record, side: name });
      }
      return records;
    },
  };
  return side;
}

/** Items/s at each doubling batch size, the best slice of each; sets `side.sweep`. */
export async function sweepCeiling(side: CeilingSide, sliceMs: number): Promise<RawCeiling> {
  const best = new Map<number, RawCeilingRow>();
  const sizes = doublingSizes(side.process.ready.batchSize);
  for (let pass = 0; pass < SWEEP_PASSES; pass++) {
    for (const size of sizes) {
      const measured = await side.process.measure(sliceMs, false, size);
      const row = rawRow(measured.batchSize, measured.batches, measured.elapsedMs, measured.cpuCores);
      if (row.itemsPerS > (best.get(size)?.itemsPerS ?? 0)) best.set(size, row);
    }
  }
  side.sweep = summarise(
    side.model,
    side.process.ready.intraOpThreads,
    sizes.map((size) => best.get(size) as RawCeilingRow),
  );
  return side.sweep;
}

/** A ceiling measurement as raw-ort-ceiling.ts's row. */
export function rawRow(batchSize: number, batches: number, elapsedMs: number, cpuCores: number): RawCeilingRow {
  const items = batches * batchSize;
  const batchMs = elapsedMs / Math.max(1, batches);
  return {
    batchSize,
    batches,
    itemsPerS: (items * 1000) / elapsedMs,
    batchMs,
    itemMs: batchMs / batchSize,
    cpuItemMs: (cpuCores * elapsedMs) / Math.max(1, items),
  };
}
