/**
 * The audit log as the request path sees it: `record()` buffers an entry and returns, and
 * the entries are written in batches, each one `store.appendAudit` (one transaction), off
 * the request's call stack:
 *
 *   record() ─push─▶ pending ──(every flushIntervalMs, or at once when maxBatch wait)──▶ appendAudit(seal(batch))
 *                       ▲                                                                     │
 *                       └──────────── a failed batch stays at the front, retried next interval ◀┘
 *
 * One write at a time, so batches reach the chain in the order they were recorded. The
 * buffer is bounded: during a long database outage new entries are counted as dropped
 * (and reported once an interval) rather than held until the process runs out of memory.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditEntry, SpelledEntry, Store } from '../state/store.ts';
import { sealEntries, spelled } from './chain.ts';
import { asError } from '../core/errors.ts';

export interface AuditLogOptions {
  /** How long an entry may wait before its batch is written. */
  readonly flushIntervalMs?: number;
  /** A batch's largest size; this many waiting entries are written at once, without waiting for the interval. */
  readonly maxBatch?: number;
  /** The most entries held unwritten; beyond it entries are dropped and counted. */
  readonly maxPending?: number;
  /** Failed writes and drops, for the log; must not throw. */
  readonly onError?: (error: Error) => void;
}

export interface AuditLogStats {
  /** Entries recorded and not yet written (a failed batch included). */
  readonly pending: number;
  readonly written: number;
  readonly failedFlushes: number;
  /** Entries never written: the buffer was full, or the log was closed. */
  readonly dropped: number;
}

export interface AuditLog {
  /**
   * Never waits and never throws: the entry is written with the next batch. Details with no
   * JSON form (a bigint, a cycle) are written as a note saying so, reported through onError.
   */
  record(entry: AuditEntry): void;
  /** Writes everything recorded so far; rejects (keeping the rest pending) when a write fails. */
  flush(): Promise<void>;
  /** Stops taking entries, then flushes. */
  close(): Promise<void>;
  stats(): AuditLogStats;
}

/** The log itself, under any wrapper (redacting): it also takes entries whose maker spelled their details. */
export interface AuditWriter extends AuditLog {
  /** As record(), for an entry whose details are spelled already and hold nothing a client wrote (an inference's). */
  recordSpelled(entry: SpelledEntry): void;
}

export const AUDIT_LOG_DEFAULTS = { flushIntervalMs: 100, maxBatch: 512, maxPending: 100_000 } as const;

/** Reported through onError, at most once an interval, while entries are being dropped. */
export class AuditEntriesDroppedError extends Error {
  override readonly name = 'AuditEntriesDroppedError';
  constructor(
    readonly dropped: number,
    readonly droppedTotal: number,
  ) {
    super(`audit log: ${dropped} entries dropped (${droppedTotal} in all); the buffer is full while writes fail`);
  }
}

/** How many entries to write now: a full batch whenever one waits, the rest only when due. */
export function batchSize(pending: number, maxBatch: number, due: boolean): number {
  if (pending >= maxBatch) return maxBatch;
  return due ? pending : 0;
}

export function createAuditLog(store: Pick<Store, 'appendAudit'>, options: AuditLogOptions = {}): AuditWriter {
  const settings: Settings = {
    flushIntervalMs: options.flushIntervalMs ?? AUDIT_LOG_DEFAULTS.flushIntervalMs,
    maxBatch: options.maxBatch ?? AUDIT_LOG_DEFAULTS.maxBatch,
    maxPending: options.maxPending ?? AUDIT_LOG_DEFAULTS.maxPending,
    onError: options.onError,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && !(Number.isInteger(value) && value >= (name === 'flushIntervalMs' ? 0 : 1))) {
      throw new RangeError(`audit log: ${name} must be a whole number${name === 'flushIntervalMs' ? '' : ' above 0'}`);
    }
  }
  return new BatchedAuditLog(store, settings);
}

type Settings = Required<Omit<AuditLogOptions, 'onError'>> & Pick<AuditLogOptions, 'onError'>;

class BatchedAuditLog implements AuditWriter {
  #pending: SpelledEntry[] = [];
  #written = 0;
  #failedFlushes = 0;
  #dropped = 0;
  #droppedUnreported = 0;
  #closed = false;
  /** The one armed wake-up: a timer for the interval, or an immediate once a full batch waits. */
  #wake: { kind: 'interval'; timer: NodeJS.Timeout } | { kind: 'batch'; timer: NodeJS.Immediate } | undefined;
  /** A woken run is writing: it arms the next wake-up when it ends, so record() need not. */
  #writing = false;
  /** The last write failed: the next try waits for the interval, full batch or not, so a database that is down is not hammered. */
  #retrying = false;
  /** The last write run queued: runs follow one another, never overlap. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<Store, 'appendAudit'>,
    private readonly settings: Settings,
  ) {}

  record(entry: AuditEntry): void {
    this.recordSpelled(this.#spell(entry));
  }

  recordSpelled(entry: SpelledEntry): void {
    if (this.#closed || this.#pending.length >= this.settings.maxPending) {
      this.#dropped += 1;
      this.#droppedUnreported += 1;
      return;
    }
    this.#pending.push(entry);
    if (!this.#writing) this.#arm();
  }

  async flush(): Promise<void> {
    const failure = await this.#run(() => this.#pending.length);
    if (failure !== undefined) {
      throw new Error(`audit log: a write failed; ${this.#pending.length} entries still pending`, { cause: failure });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#disarm();
    try {
      await this.flush();
    } finally {
      this.#reportDrops();
    }
  }

  stats(): AuditLogStats {
    const { length: pending } = this.#pending;
    return { pending, written: this.#written, failedFlushes: this.#failedFlushes, dropped: this.#dropped };
  }

  /** The entry spelled, or (its details holding a bigint or a cycle) spelled with a note in their place. */
  #spell(entry: AuditEntry): SpelledEntry {
    try {
      return spelled(entry);
    } catch (error) {
      const reason = asError(error).message;
      this.settings.onError?.(new Error(`audit log: an entry's details cannot be written: ${reason}`));
      return spelled({ ...entry, details: { unsealable: reason } });
    }
  }

  /** Makes sure a write will come: at once for a full batch, else at the end of the interval. */
  #arm(): void {
    const fullBatch = !this.#retrying && this.#pending.length >= this.settings.maxBatch;
    if (this.#wake?.kind === 'batch' || (this.#wake?.kind === 'interval' && !fullBatch)) return;
    this.#disarm();
    if (fullBatch) {
      this.#wake = { kind: 'batch', timer: setImmediate(() => this.#woken(false)).unref() };
    } else {
      this.#wake = { kind: 'interval', timer: setTimeout(() => this.#woken(true), this.settings.flushIntervalMs) };
      this.#wake.timer.unref();
    }
  }

  #disarm(): void {
    if (this.#wake?.kind === 'interval') clearTimeout(this.#wake.timer);
    if (this.#wake?.kind === 'batch') clearImmediate(this.#wake.timer);
    this.#wake = undefined;
  }

  #woken(due: boolean): void {
    this.#wake = undefined;
    this.#writing = true;
    if (due) this.#reportDrops();
    // The interval writes everything waiting when it ends; a full batch writes full batches.
    const atLeast = due ? this.#pending.length : 0;
    void this.#run(() => atLeast).then(() => {
      this.#writing = false;
      if (this.#pending.length > 0 && !this.#closed) this.#arm();
    });
  }

  /** Queues a write run after the one in progress; resolves to the error that stopped it, if any. */
  #run(atLeast: () => number): Promise<Error | undefined> {
    const run = this.#tail.then(() => this.#writeBatches(atLeast()));
    this.#tail = run;
    return run;
  }

  /** Writes batches until `atLeast` entries are written and no full batch waits, or a write fails. */
  async #writeBatches(atLeast: number): Promise<Error | undefined> {
    let owed = atLeast;
    for (;;) {
      const size = batchSize(this.#pending.length, this.settings.maxBatch, owed > 0);
      if (size === 0) return undefined;
      const failure = await this.#writeBatch(size);
      if (failure !== undefined) return failure;
      owed -= size;
      // A run after an outage may be long: let requests in between its batches.
      if (this.#pending.length > 0) await nextTurn();
    }
  }

  /** The entries leave the buffer only once written: a failed batch is retried, first, in order. */
  async #writeBatch(size: number): Promise<Error | undefined> {
    try {
      await this.store.appendAudit(sealEntries(this.#pending.slice(0, size)));
    } catch (error) {
      return this.#failed(error);
    }
    this.#pending.splice(0, size);
    this.#written += size;
    this.#retrying = false;
    return undefined;
  }

  #failed(error: unknown): Error {
    this.#failedFlushes += 1;
    this.#retrying = true;
    const failure = asError(error);
    this.settings.onError?.(failure);
    return failure;
  }

  #reportDrops(): void {
    if (this.#droppedUnreported === 0) return;
    const dropped = this.#droppedUnreported;
    this.#droppedUnreported = 0;
    this.settings.onError?.(new AuditEntriesDroppedError(dropped, this.#dropped));
  }
}
