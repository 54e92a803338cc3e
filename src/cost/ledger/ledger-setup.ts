/**
 * The cost ledger of a server, from its configuration: the observe stage that charges
 * each request, the writer that flushes the sums to the store, the metrics, and reads
 * for /admin/usage that include the sums not written yet.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config/schema.ts';
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import type { Store, UsageQuery, UsageTotal } from '../../state/store.ts';
import type { Price } from './ledger-config.ts';
import { ledgerMetrics } from './ledger-metrics.ts';
import { ledgerStage } from './ledger-stage.ts';
import { LedgerWriter } from './ledger-writer.ts';
import { UsageLedger } from './usage-ledger.ts';
import { withUnwritten } from './usage-groups.ts';

export interface Ledger {
  readonly stage: PipelineStage;
  /** The sums the store holds plus those still in this process's memory (other replicas' lag by one interval at most). */
  usage(query: UsageQuery): Promise<UsageTotal[]>;
  /** Writes what was gathered now (tests, shutdown); rejects when the store fails (the sums are kept). */
  flush(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export interface LedgerLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Undefined when `ledger.enabled` is false: the stage is not in the slot at all. */
export function createLedger(
  config: Readonly<Pick<Config, 'ledger' | 'backends'>>,
  store: Pick<Store, 'addUsage' | 'queryUsage'>,
  registry: Registry,
  log: LedgerLog,
  now: () => number = Date.now,
): Ledger | undefined {
  if (!config.ledger.enabled) return undefined;
  const ledger = new UsageLedger(config.ledger.max_pending_rows);
  const metrics = ledgerMetrics(registry, ledger);
  const writer = new LedgerWriter(ledger, store, {
    intervalMs: config.ledger.flush_interval_ms,
    onError: (error, rows) =>
      log.error({ err: error, rows }, `cost ledger: ${rows} rows not written, kept for the next try: ${error.message}`),
    onWrite: (outcome) => metrics.writes.inc({ outcome }),
  });
  return {
    stage: ledgerStage({ ledger, prices: pricesOf(config.backends), day: utcDay(now), log }),
    usage: (query) =>
      writer.exclusive(async () => withUnwritten(await store.queryUsage(query), ledger.unwritten(), query)),
    flush: () => writer.flush(),
    start: () => writer.start(),
    close: () => writer.close(),
  };
}

export function pricesOf(backends: Config['backends']): Map<string, Price> {
  const priced = backends.flatMap((backend) => backend.models.flatMap((model) => (model.price ? [model] : [])));
  return new Map(priced.map((model) => [model.name, model.price as Price]));
}

const DAY_MS = 86_400_000;

/** The UTC day of `now()`, its text made once a day. */
export function utcDay(now: () => number): () => string {
  let start = Number.NaN;
  let text = '';
  return () => {
    const ms = now();
    if (!(ms >= start && ms < start + DAY_MS)) {
      start = ms - (ms % DAY_MS);
      text = new Date(start).toISOString().slice(0, 10);
    }
    return text;
  };
}
