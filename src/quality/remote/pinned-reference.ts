/**
 * A remote model's pinned reference, kept in the state store (SQLite, or PostgreSQL shared by
 * replicas) so that it outlasts a restart and reaches the other replicas. A pin is written
 * first and put in force after, so this process never tests against a reference the store
 * did not take; pins of one model are written (and read back, stored-pins.ts) one at a time,
 * so this process's store and memory end on the same one. Replicas converge on the stored
 * pin as they read it again (stored-pins.ts).
 */
import { SluiceError } from '../../core/errors.ts';
import type { Store } from '../../state/store.ts';
import type { ReferenceSummary } from '../reference-summary.ts';
import type { RemoteQualityMonitor } from './remote-monitor.ts';

/** The part of the Store that keeps pins. */
export type ReferenceKeeper = Pick<Store, 'putReference' | 'getReference'>;

/** Per monitor, the pin being written or read: the next waits for it. */
const queues = new WeakMap<RemoteQualityMonitor, Promise<unknown>>();

/**
 * Runs `work` once the monitor's pin written or read before it is done, so that a read of
 * the store never puts an older pin in force over one written meanwhile (stored-pins.ts).
 */
export function serially<T>(monitor: RemoteQualityMonitor, work: () => Promise<T>): Promise<T> {
  const run = (queues.get(monitor) ?? Promise.resolve()).then(work);
  // A failed one does not stop the next.
  queues.set(
    monitor,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Pins the monitor's last closed window: stored, then in force. Undefined while no window has
 * closed; ERR_STORE_UNAVAILABLE (the reference unchanged) when the store fails.
 */
export function pinLastClosedWindow(
  monitor: RemoteQualityMonitor,
  keeper: ReferenceKeeper,
  by: string,
  at: number,
): Promise<ReferenceSummary | undefined> {
  return serially(monitor, async () => {
    const candidate = monitor.candidateOfLastClosed(by, at);
    if (candidate === undefined) return undefined;
    const { name: model, version } = monitor.model;
    const record = { model, version, pinnedAt: new Date(at).toISOString(), pinnedBy: by, profile: candidate.profile };
    await keeper.putReference(record).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SluiceError('ERR_STORE_UNAVAILABLE', `the state store failed: ${reason}; the reference is unchanged`);
    });
    candidate.use();
    return candidate.summary;
  });
}
