/**
 * Writes the ledger's sums to the store off the request path: every interval, the rows
 * gathered since the last write go in one `store.addUsage` (one transaction).
 *
 *   add() ─▶ UsageLedger ──(every intervalMs)──▶ take() ──▶ store.addUsage(rows)
 *                 ▲                                                 │ failed
 *                 └──────────── restore(rows): retried next interval ◀┘
 *
 * One write at a time, and reads that include the unwritten rows (`exclusive`) run between
 * writes, never during one: a batch is then either in the store or in memory, not both.
 */
import type { Store, UsageRow } from '../../state/store.ts';
import type { UsageLedger } from './usage-ledger.ts';
import { asError } from '../../core/errors.ts';

export interface LedgerWriterOptions {
  readonly intervalMs: number;
  /** A failed write (its rows are kept); must not throw. */
  readonly onError: (error: Error, rows: number) => void;
  /** Each write, for the metrics. */
  readonly onWrite?: (outcome: 'written' | 'failed', rows: number) => void;
}

export class LedgerWriter {
  private timer: NodeJS.Timeout | undefined;
  /** The last write or read queued: they follow one another, never overlap. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly store: Pick<Store, 'addUsage'>,
    private readonly options: LedgerWriterOptions,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes what was gathered; rejects (the rows kept for the next try) when the store fails. */
  flush(): Promise<void> {
    return this.exclusive(() => this.write());
  }

  /** Runs `work` between writes. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Stops the interval and writes what is left; rejects when that last write fails. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(): Promise<void> {
    const rows = this.ledger.take();
    if (rows.length === 0) return;
    try {
      await this.store.addUsage(rows);
    } catch (error) {
      this.failed(rows, error);
      throw error;
    }
    this.options.onWrite?.('written', rows.length);
  }

  private failed(rows: readonly UsageRow[], error: unknown): void {
    this.ledger.restore(rows);
    this.options.onWrite?.('failed', rows.length);
    this.options.onError(asError(error), rows.length);
  }
}
