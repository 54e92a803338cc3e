/**
 * One request inside the batcher: its rows, the results gathered as its rows' batches
 * finish, and its promise, settled exactly once — with every row's result, or with the
 * first error (a failed batch, a shed, a deadline), after which late results are dropped.
 */
import type { Row } from '../../../core/tensors.ts';
import type { QueueRequest } from './scheduler-queue.ts';
import type { ResolvedTicket } from '../../../core/ticket.ts';

export interface RowResult {
  /** This row's own outputs, batch dimension removed. */
  readonly outputs: Row;
  /** From submit until its batch left the queue. */
  readonly queueMs: number;
  /** From leaving the queue until outputs were split: stacking, execution and splitting. */
  readonly inferenceMs: number;
  /** How many rows shared the batch. */
  readonly batchSize: number;
}

export class PendingRequest implements QueueRequest {
  readonly level: number;
  readonly tenant: string;
  readonly weight: number;
  readonly deadlineMs: number | undefined;
  private readonly results: (RowResult | undefined)[];
  private answered = 0;
  private done = false;

  constructor(
    ticket: ResolvedTicket,
    readonly rows: readonly Row[],
    readonly arrivalMs: number,
    private readonly resolve: (results: RowResult[]) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.level = ticket.level;
    this.tenant = ticket.tenant;
    this.weight = ticket.weight;
    this.deadlineMs = ticket.deadlineMs;
    this.results = new Array<RowResult | undefined>(rows.length);
  }

  get settled(): boolean {
    return this.done;
  }

  row(index: number): Row {
    const row = this.rows[index];
    if (row === undefined) throw new RangeError(`request has no row ${index}`);
    return row;
  }

  fulfil(index: number, result: RowResult): void {
    if (this.done || this.results[index] !== undefined) return;
    this.results[index] = result;
    this.answered += 1;
    if (this.answered < this.rows.length) return;
    this.done = true;
    this.resolve(this.results as RowResult[]);
  }

  /** Rejects the request unless it has settled already; true when this call settled it. */
  fail(error: unknown): boolean {
    if (this.done) return false;
    this.done = true;
    this.reject(error);
    return true;
  }
}
