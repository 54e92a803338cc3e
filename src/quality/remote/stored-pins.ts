/**
 * Remote models' pins read from the state store: at start, and again as windows close.
 *
 * At start each monitor takes its model's stored pin. A pin that cannot be parsed is
 * reported and skipped (the first window closed is then the reference); a store that cannot
 * be read is read again after each of `retryMs` (backoff, bounded), the monitor holding its
 * first window closed untested meanwhile, until the pin is read or the retries give up (the
 * held window is then the reference, and the failure is reported as such).
 *
 * A pin made on another replica reaches this one when one of its windows closes at least
 * `refreshMs` after the last read: the stored pin is read again and put in force if it is
 * not the one in force (another time or key). So replicas sharing a store converge within
 * `refreshMs` and a window. Reads and this process's own pins of a model run one at a time
 * (`serially`), so a read never puts back a pin older than one written since.
 */
import { parseProfile } from '../reference-profile.ts';
import type { ReferenceSummary } from '../reference-summary.ts';
import { serially, type ReferenceKeeper } from './pinned-reference.ts';
import type { RemoteQualityMonitor } from './remote-monitor.ts';
import { asError } from '../../core/errors.ts';

/** About three minutes of reads before giving up: 1, 2, 4, 8, 16 s, then every 30 s. */
export const PIN_RETRY_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000];
/** Replicas sharing a store take each other's pins within this and a window. */
export const PIN_REFRESH_MS = 30_000;

export type PinEvent =
  /** A stored pin that is not a reference profile: skipped. */
  | { readonly kind: 'unreadable'; readonly model: string; readonly error: Error }
  /** The store failed at start: read again in `inMs`. */
  | { readonly kind: 'retrying'; readonly model: string; readonly error: Error; readonly inMs: number }
  /** The store failed every read at start: the first window closed is the reference. */
  | { readonly kind: 'gave_up'; readonly model: string; readonly error: Error; readonly attempts: number }
  /** A read as a window closed failed: tried again at a later window. */
  | { readonly kind: 'refresh_failed'; readonly model: string; readonly error: Error }
  /** A pin another replica made, put in force here. */
  | { readonly kind: 'taken'; readonly model: string; readonly reference: ReferenceSummary };

export interface StoredPinsOptions {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly onEvent: (event: PinEvent) => void;
  readonly retryMs?: readonly number[];
  readonly refreshMs?: number;
}

export class StoredPins {
  private readonly lastRead = new Map<RemoteQualityMonitor, number>();
  private readonly retrying = new Set<RemoteQualityMonitor>();
  /** The stored pin that could not be parsed (its time and key), not reported again. */
  private readonly skipped = new Map<RemoteQualityMonitor, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly keeper: ReferenceKeeper,
    private readonly options: StoredPinsOptions,
  ) {}

  /** Each monitor takes its stored pin (a failed store is read again later); how many were taken now. */
  async load(monitors: readonly RemoteQualityMonitor[]): Promise<number> {
    let loaded = 0;
    for (const monitor of monitors) {
      monitor.onClose(() => this.refresh(monitor));
      if (await this.attempt(monitor, 0)) loaded += 1;
    }
    return loaded;
  }

  /** No more reads: pending retries are dropped. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Read number `attempt` at start; whether a pin was put in force. */
  private async attempt(monitor: RemoteQualityMonitor, attempt: number): Promise<boolean> {
    const model = monitor.model.name;
    try {
      const taken = await this.read(monitor);
      this.retrying.delete(monitor);
      if (!taken) monitor.stopAwaiting();
      return taken;
    } catch (caught) {
      const error = asError(caught);
      const inMs = (this.options.retryMs ?? PIN_RETRY_MS)[attempt];
      if (this.closed) return false;
      if (inMs === undefined) {
        this.retrying.delete(monitor);
        monitor.stopAwaiting();
        this.options.onEvent({ kind: 'gave_up', model, error, attempts: attempt + 1 });
        return false;
      }
      this.retrying.add(monitor);
      monitor.awaitStored();
      this.options.onEvent({ kind: 'retrying', model, error, inMs });
      this.after(inMs, () => void this.attempt(monitor, attempt + 1));
      return false;
    }
  }

  /** As a window closes: the stored pin read again, when the last read is `refreshMs` old. */
  private refresh(monitor: RemoteQualityMonitor): void {
    const now = this.options.now();
    const last = this.lastRead.get(monitor);
    if (this.closed || this.retrying.has(monitor)) return;
    if (last !== undefined && now - last < (this.options.refreshMs ?? PIN_REFRESH_MS)) return;
    // One read a period even when it fails.
    this.lastRead.set(monitor, now);
    const model = monitor.model.name;
    this.read(monitor).then(
      (taken) => {
        const reference = monitor.referenceSummary();
        if (taken && reference !== null) this.options.onEvent({ kind: 'taken', model, reference });
      },
      (error: unknown) =>
        this.options.onEvent({
          kind: 'refresh_failed',
          model,
          error: asError(error),
        }),
    );
  }

  /**
   * The stored pin put in force unless it is already, or cannot be parsed (reported, then
   * skipped); whether it was. Throws when the store fails.
   */
  private read(monitor: RemoteQualityMonitor): Promise<boolean> {
    const { name, version } = monitor.model;
    return serially(monitor, async () => {
      const stored = await this.keeper.getReference(name, version).catch((error: unknown) => {
        // A row whose profile is not JSON (the store parses it) is a pin that cannot be read, not a failed store.
        if (error instanceof SyntaxError) return error;
        throw error;
      });
      this.lastRead.set(monitor, this.options.now());
      if (stored === undefined) return false;
      const stamp = stored instanceof Error ? stored.message : `${stored.pinnedAt} ${stored.pinnedBy}`;
      if (this.skipped.get(monitor) === stamp) return false;
      try {
        if (stored instanceof Error) throw stored;
        const inForce = monitor.referenceSummary();
        if (inForce?.made_at === stored.pinnedAt && inForce.made_by === stored.pinnedBy) return false;
        const profile = parseProfile(stored.profile, `the pinned reference of ${name}:${version} in the state store`);
        return monitor.useStored(profile, stored.pinnedAt, stored.pinnedBy);
      } catch (error) {
        this.skipped.set(monitor, stamp);
        this.options.onEvent({ kind: 'unreadable', model: name, error: error as Error });
        return false;
      }
    });
  }

  private after(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) work();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
