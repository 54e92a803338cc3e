/**
 * The quarantine as the request path sees it: `record()` notes a rejection and returns; the
 * rejections are redacted and written in one batch (`store.addQuarantine`, one transaction)
 * per interval, off the request's call stack, like the audit log:
 *
 *   record() ─push─▶ pending (≤ maxPending, ≤ maxPendingPerModel each) ──every flushIntervalMs──▶
 *     redact (a few at a time, yielding between) ──▶ addQuarantine(batch, maxPerModel)
 *
 * It is a diagnostic sample, not a record of every refusal: a full buffer drops new
 * rejections and a failed write drops its batch, both counted (onDropped) and never thrown
 * into a request. The bounds also bound the redaction's CPU, whatever the rate of refusals.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { QuarantineEntry, Store } from '../../state/store.ts';
import { quarantineEntry, type Rejection } from './quarantine-entry.ts';
import { asError } from '../../core/errors.ts';

export type DropReason = 'buffer_full' | 'write_failed' | 'closed';

export interface QuarantineWriterOptions {
  /** The store's bound per model: its oldest entries beyond it are deleted with each write. */
  readonly maxPerModel: number;
  readonly flushIntervalMs?: number;
  /** Rejections held unwritten, in all and per model; beyond, new ones are dropped and counted. */
  readonly maxPending?: number;
  readonly maxPendingPerModel?: number;
  readonly onWritten?: (model: string, count: number) => void;
  readonly onDropped?: (model: string, reason: DropReason, count: number) => void;
  /** A failed write, for the log; must not throw. */
  readonly onError?: (error: Error) => void;
}

export interface QuarantineWriterStats {
  readonly pending: number;
  readonly written: number;
  readonly dropped: number;
}

export const QUARANTINE_WRITER_DEFAULTS = { flushIntervalMs: 1000, maxPending: 256, maxPendingPerModel: 64 } as const;
/** Entries redacted between two yields to the event loop. */
const REDACT_SLICE = 16;

export class QuarantineWriter {
  #pending: Rejection[] = [];
  readonly #perModel = new Map<string, number>();
  #written = 0;
  #dropped = 0;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  /** The last write queued: writes follow one another, never overlap. */
  #tail: Promise<void> = Promise.resolve();
  readonly #settings: Required<Omit<QuarantineWriterOptions, 'onWritten' | 'onDropped' | 'onError'>>;

  constructor(
    private readonly store: Pick<Store, 'addQuarantine'>,
    private readonly options: QuarantineWriterOptions,
  ) {
    const defaults = QUARANTINE_WRITER_DEFAULTS;
    this.#settings = {
      maxPerModel: options.maxPerModel,
      flushIntervalMs: options.flushIntervalMs ?? defaults.flushIntervalMs,
      maxPending: options.maxPending ?? defaults.maxPending,
      maxPendingPerModel: options.maxPendingPerModel ?? defaults.maxPendingPerModel,
    };
    for (const [name, value] of Object.entries(this.#settings)) {
      const least = name === 'flushIntervalMs' ? 0 : 1;
      if (!Number.isInteger(value) || value < least)
        throw new RangeError(`quarantine writer: ${name} must be a whole number of at least ${least}, not ${value}`);
    }
  }

  /** Never waits and never throws: the rejection is written with the next batch, or dropped and counted. */
  record(rejection: Rejection): void {
    if (this.#closed) return this.#drop(rejection.model, 'closed', 1);
    const held = this.#perModel.get(rejection.model) ?? 0;
    if (this.#pending.length >= this.#settings.maxPending || held >= this.#settings.maxPendingPerModel) {
      return this.#drop(rejection.model, 'buffer_full', 1);
    }
    this.#pending.push(rejection);
    this.#perModel.set(rejection.model, held + 1);
    this.#timer ??= setTimeout(() => void this.flush(), this.#settings.flushIntervalMs).unref();
  }

  /** Writes everything recorded so far; never rejects (a failed write is dropped, counted and reported). */
  flush(): Promise<void> {
    const run = this.#tail.then(() => this.#writePending());
    this.#tail = run;
    return run;
  }

  /** Stops taking rejections, then writes the ones held. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): QuarantineWriterStats {
    return { pending: this.#pending.length, written: this.#written, dropped: this.#dropped };
  }

  async #writePending(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#perModel.clear();
    const entries: QuarantineEntry[] = [];
    for (const rejection of batch) {
      entries.push(quarantineEntry(rejection));
      // Redaction is the costly part: let requests in between slices of it.
      if (entries.length % REDACT_SLICE === 0) await nextTurn();
    }
    try {
      await this.store.addQuarantine(entries, this.#settings.maxPerModel);
    } catch (error) {
      this.options.onError?.(asError(error));
      for (const [model, count] of countByModel(entries)) this.#drop(model, 'write_failed', count);
      return;
    }
    this.#written += entries.length;
    for (const [model, count] of countByModel(entries)) this.options.onWritten?.(model, count);
  }

  #drop(model: string, reason: DropReason, count: number): void {
    this.#dropped += count;
    this.options.onDropped?.(model, reason, count);
  }
}

function countByModel(entries: readonly QuarantineEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.model, (counts.get(entry.model) ?? 0) + 1);
  return counts;
}
