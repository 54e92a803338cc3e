/**
 * A remote model's pinned reference, kept in the state store (SQLite, or PostgreSQL shared by
 * replicas) so that it outlasts a restart. A pin is written first and put in force after,
 * so this process never tests against a reference the store did not take; pins of one model
 * are written one at a time, so the store and memory end on the same one. At start, each
 * remote model's monitor takes its stored pin, if it has one.
 */
import { SluiceError } from '../../core/errors.ts';
import type { Store } from '../../state/store.ts';
import { parseProfile } from '../reference-profile.ts';
import type { ReferenceSummary } from '../reference-summary.ts';
import type { RemoteQualityMonitor } from './remote-monitor.ts';

/** The part of the Store that keeps pins. */
export type ReferenceKeeper = Pick<Store, 'putReference' | 'getReference'>;

/** Per monitor, the pin being written: the next waits for it. */
const pinning = new WeakMap<RemoteQualityMonitor, Promise<unknown>>();

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
  const previous = pinning.get(monitor) ?? Promise.resolve();
  const pin = previous.then(async () => {
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
  // A failed pin does not stop the next one.
  pinning.set(
    monitor,
    pin.catch(() => undefined),
  );
  return pin;
}

/** Each monitor takes its model's stored pin; one that cannot be read is reported and skipped (the first window is then the reference). */
export async function loadPinnedReferences(
  monitors: readonly RemoteQualityMonitor[],
  keeper: ReferenceKeeper,
  onUnreadable: (model: string, error: Error) => void,
): Promise<number> {
  let loaded = 0;
  for (const monitor of monitors) {
    const { name, version } = monitor.model;
    try {
      const stored = await keeper.getReference(name, version);
      if (stored === undefined) continue;
      const profile = parseProfile(stored.profile, `the pinned reference of ${name}:${version} in the state store`);
      monitor.useStored(profile, stored.pinnedAt, stored.pinnedBy);
      loaded += 1;
    } catch (error) {
      onUnreadable(name, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return loaded;
}
