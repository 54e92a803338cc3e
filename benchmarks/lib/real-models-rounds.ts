/**
 * The `real-models` benchmark's measuring, once its sides are set up (real-models.ts): raw
 * ORT's sweep over batch sizes, each side's concurrency search, then the rounds, every side
 * in turn in each, so each figure compares sides measured minutes, not hours, apart.
 */
import type { RowRecord } from './batching-report.ts';
import { searchTable } from './batching-report.ts';
import { ProgressBar } from './progress.ts';
import { rawCeilingTable } from './raw-ort-ceiling.ts';
import type { CeilingSide } from './real-models-ceiling.ts';
import { sweepCeiling } from './real-models-ceiling.ts';
import type { Side } from './real-models-sides.ts';
import type { SluiceProcess } from './server-process.ts';

const WARMUP_MS = 1_000;

export interface RoundSettings {
  readonly rowMs: number;
  readonly searchPointMs: number;
  readonly sweepSliceMs: number;
  readonly rounds: number;
  readonly users: readonly number[];
}

export interface Bench {
  readonly sides: Side[];
  readonly ceilings: CeilingSide[];
  readonly notRun: Record<string, string>;
  readonly notes: string[];
  readonly servers: SluiceProcess[];
  readonly closers: Array<() => Promise<void> | void>;
}

/** Raw ORT's sweep, the concurrency search, then the rounds: every side in turn in each. */
export async function measure(settings: RoundSettings, bench: Bench): Promise<RowRecord[]> {
  const steps =
    bench.ceilings.length + bench.sides.length * (1 + settings.rounds) + bench.ceilings.length * 2 * settings.rounds;
  const progress = new ProgressBar('real-models', steps, settings.rowMs);
  const records: RowRecord[] = [];
  try {
    for (const ceiling of bench.ceilings) {
      progress.start(`${ceiling.model}: raw ORT at each batch size`);
      await sweepCeiling(ceiling, settings.sweepSliceMs);
      progress.finish(
        `${ceiling.model}: best batch ${ceiling.sweep?.best.batchSize}, gain ${ceiling.sweep?.gain.toFixed(2)}x`,
      );
      if (ceiling.sweep !== undefined) console.log(`${rawCeilingTable(ceiling.sweep)}\n`);
    }
    const users = new Map<Side, number>();
    const points: Array<Parameters<typeof searchTable>[0][number]> = [];
    for (const side of bench.sides) {
      progress.start(`${side.model} ${side.side}: search`);
      await side.row(32, WARMUP_MS, 0); // not measured: JIT, connections, first batches
      const found = await side.search(settings.users, settings.searchPointMs);
      users.set(side, found.best);
      points.push(...found.points.map((point) => ({ ...point, side: `${side.model} ${side.side}` })));
      progress.finish(`${side.model} ${side.side}: best at ${found.best} users`);
    }
    console.log(`#### Concurrency search\n\n${searchTable(points)}\n`);
    for (let round = 1; round <= settings.rounds; round++) {
      for (const ceiling of bench.ceilings) {
        for (const record of await ceiling.rows(settings.rowMs, round)) {
          records.push(record);
          progress.finish(`round ${round} ${record.model} ${record.side}: ${record.itemsPerS.toFixed(0)} items/s`);
        }
      }
      for (const side of bench.sides) {
        progress.start(`round ${round} ${side.model} ${side.side}`);
        const record = await side.row(users.get(side) ?? 32, settings.rowMs, round);
        records.push(record);
        progress.finish(`round ${round} ${record.model} ${record.side}: ${record.itemsPerS.toFixed(0)} items/s`);
      }
    }
  } finally {
    progress.close();
  }
  return records;
}
