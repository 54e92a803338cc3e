/**
 * Keeps the tenant directory in step with its sources: the tenants and keys of the config
 * file (fixed) and those of the store (changed by the admin API, the CLI, other replicas).
 * A store that can announce changes (PostgreSQL) reloads on each announcement; the store's
 * `keysVersion` is also polled every `auth.key_refresh_ms`, for SQLite shared between
 * processes and for announcements lost while a connection was down. A change reloads all.
 */
import type { Config } from '../config/schema.ts';
import type { KeyRecord, Store, TenantRecord } from '../state/store.ts';
import type { KeySnapshot, TenantDirectory } from './tenant-directory.ts';

/** The config file's tenants and keys, as records (config wins over the store for a tenant of the same name). */
export function configSnapshot(tenants: Config['tenants']): KeySnapshot {
  const records: TenantRecord[] = [];
  const keys: KeyRecord[] = [];
  for (const tenant of tenants) {
    records.push({ name: tenant.name, priority: tenant.priority ?? null, weight: tenant.weight, createdAt: '' });
    for (const key of tenant.keys) {
      keys.push({
        id: key.id,
        tenant: tenant.name,
        scopes: key.scopes,
        models: key.models ?? null,
        hash: key.hash,
        createdAt: '',
        expiresAt: key.expires_at ?? null,
        revokedAt: null,
      });
    }
  }
  return { tenants: records, keys };
}

export function mergeSnapshots(fromConfig: KeySnapshot, fromStore: KeySnapshot): KeySnapshot {
  const declared = new Set(fromConfig.tenants.map((tenant) => tenant.name));
  const declaredKeys = new Set(fromConfig.keys.map((key) => key.id));
  return {
    tenants: [...fromConfig.tenants, ...fromStore.tenants.filter((tenant) => !declared.has(tenant.name))],
    keys: [...fromConfig.keys, ...fromStore.keys.filter((key) => !declaredKeys.has(key.id))],
  };
}

export class KeySync {
  /** The config file's tenants and keys, read once. */
  readonly declared: KeySnapshot;
  private version: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  private polling = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    tenants: Config['tenants'],
    private readonly directory: TenantDirectory,
    private readonly onError: (error: unknown) => void,
  ) {
    this.declared = configSnapshot(tenants);
    directory.load(this.declared);
  }

  /**
   * Reloads everything from the store now (after the admin API changed it, and at start).
   * Reloads run one after another: a poll that read the store before a revocation must not
   * finish after the revocation's own reload and bring the key back.
   */
  refresh(): Promise<void> {
    const next = this.queue.then(() => this.reload());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reload(): Promise<void> {
    const version = await this.store.keysVersion();
    const [tenants, keys] = await Promise.all([this.store.listTenants(), this.store.listKeys()]);
    this.directory.load(mergeSnapshots(this.declared, { tenants, keys }));
    this.version = version;
  }

  /** Watches for changes made elsewhere; a store that fails keeps the last keys and is logged. */
  async start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
    // Without announcements the poll still sees every change, a little later.
    const listening = this.store.watchKeys?.(() => void this.refresh().catch(this.onError));
    this.unwatch = await listening?.catch((error: unknown) => void this.onError(error));
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.unwatch?.();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if ((await this.store.keysVersion()) !== this.version) await this.refresh();
    } catch (error) {
      this.onError(error);
    } finally {
      this.polling = false;
    }
  }
}
