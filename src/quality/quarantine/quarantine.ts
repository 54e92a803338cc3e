/**
 * The quarantine of rejected payloads (docs/quality.md): an observe-slot stage that hears the
 * requests the pipeline refused for their data and hands them to the batched writer; the
 * listing and clearing the admin API serves; and the pruning of entries past their time to
 * live. The store keeps it, so every replica writes to and reads the same quarantine.
 */
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import type { QuarantineRecord, Store } from '../../state/store.ts';
import { rejectionOf } from './quarantine-entry.ts';
import { QuarantineWriter, type QuarantineWriterOptions } from './quarantine-writer.ts';
import { asError } from '../../core/errors.ts';

export interface QuarantineOptions extends QuarantineWriterOptions {
  readonly store: Pick<Store, 'addQuarantine' | 'listQuarantine' | 'clearQuarantine' | 'pruneQuarantine'>;
  /** How long an entry is kept: older ones are never listed, and pruned. */
  readonly ttlMs: number;
  /** Milliseconds since the epoch (Date.now; tests move it). */
  readonly now: () => number;
  /** How often expired entries are deleted. */
  readonly pruneIntervalMs?: number;
}

export interface QuarantinePage {
  readonly model: string;
  readonly version?: string;
  readonly beforeId?: number;
  readonly limit: number;
}

const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

export class Quarantine {
  readonly writer: QuarantineWriter;
  #pruning: NodeJS.Timeout | undefined;

  constructor(private readonly options: QuarantineOptions) {
    this.writer = new QuarantineWriter(options.store, options);
  }

  /** Hears refused requests only: an answered one costs a call to an empty function. */
  readonly stage: PipelineStage = {
    name: 'quarantine',
    run: () => {},
    rejected: (context, failure) => {
      const rejection = rejectionOf(context, failure, this.options.now());
      if (rejection !== undefined) this.writer.record(rejection);
    },
  };

  /** A model's unexpired entries, newest first; what this replica holds unwritten is written first. */
  async list(page: QuarantinePage): Promise<QuarantineRecord[]> {
    await this.writer.flush();
    return this.options.store.listQuarantine({ ...page, since: this.expiredBefore() });
  }

  /** Deletes a model's entries (of one version); what this replica holds unwritten goes too. */
  async clear(model: string, version?: string): Promise<number> {
    await this.writer.flush();
    return this.options.store.clearQuarantine(model, version);
  }

  /** Deletes the expired entries; returns how many went. */
  prune(): Promise<number> {
    return this.options.store.pruneQuarantine(this.expiredBefore());
  }

  /** Prunes now and then every `pruneIntervalMs`; a failed prune is reported and tried again next time. */
  start(): void {
    const prune = () => void this.prune().catch((error: unknown) => this.options.onError?.(asError(error)));
    prune();
    this.#pruning = setInterval(prune, this.options.pruneIntervalMs ?? PRUNE_INTERVAL_MS).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#pruning);
    await this.writer.close();
  }

  private expiredBefore(): string {
    return new Date(this.options.now() - this.options.ttlMs).toISOString();
  }
}
