/**
 * The cost ledger in memory: each request's charge is added into the row of its key (a
 * map update, all the request path does), and the rows are taken in one piece by the
 * writer (ledger-writer.ts) and put back when their write fails. Beside them, totals per
 * tenant, model and unit that only grow, for the metrics.
 *
 * Bounded: at most `maxPendingRows` rows are held; a charge that would open a row past it
 * is dropped and counted. A failed batch's rows come back on top, so the map holds at most
 * twice the bound, and only while the store is failing.
 */
import type { UsageKey, UsageRow, UsageSums } from '../../state/store.ts';
import { addSums } from '../../state/usage-rows.ts';
import type { Charge } from './charge.ts';

/** Who a charge is for: every dimension of its row but the unit (the charge brings it). */
export type ChargeKey = Omit<UsageKey, 'unit'>;

export interface MetricTotal extends UsageSums {
  readonly tenant: string;
  readonly model: string;
  readonly unit: string;
}

export class UsageLedger {
  private pending = new Map<string, UsageRow>();
  private readonly totals = new Map<string, MetricTotal>();
  private droppedCharges = 0;

  constructor(private readonly maxPendingRows: number) {}

  /** Never throws, never waits. */
  add(key: ChargeKey, charge: Charge): void {
    const id = rowId(key.tenant, key.key, key.model, key.version, key.day, charge.unit);
    const row = this.pending.get(id);
    if (row !== undefined) this.pending.set(id, { ...row, ...addSums(row, charge) });
    else if (this.pending.size < this.maxPendingRows) this.pending.set(id, { ...key, ...charge });
    else this.droppedCharges += 1;
    const totalId = rowId(key.tenant, key.model, charge.unit);
    const total = this.totals.get(totalId);
    const { tenant, model } = key;
    this.totals.set(totalId, { tenant, model, unit: charge.unit, ...addSums(total ?? ZERO, charge) });
  }

  /** Every row gathered since the last take; the ledger starts afresh. */
  take(): UsageRow[] {
    const rows = [...this.pending.values()];
    this.pending = new Map();
    return rows;
  }

  /** Rows whose write failed, added back into whatever gathered since (the bound does not refuse them). */
  restore(rows: readonly UsageRow[]): void {
    for (const row of rows) {
      const id = rowId(row.tenant, row.key, row.model, row.version, row.day, row.unit);
      const since = this.pending.get(id);
      this.pending.set(id, since === undefined ? row : { ...row, ...addSums(row, since) });
    }
  }

  /** The rows not written yet, for reads that include them. */
  unwritten(): readonly UsageRow[] {
    return [...this.pending.values()];
  }

  get pendingRows(): number {
    return this.pending.size;
  }

  /** Charges dropped because the bound was reached (their requests are in the metrics, not the store). */
  get dropped(): number {
    return this.droppedCharges;
  }

  metricTotals(): Iterable<MetricTotal> {
    return this.totals.values();
  }
}

const ZERO: UsageSums = { requests: 0, items: 0, inputTokens: 0, outputTokens: 0, costNanos: 0, cacheHits: 0 };

/** A separator no name sluice accepts contains. */
function rowId(...parts: string[]): string {
  return parts.join('\u0000');
}
