/**
 * A cache store whose failures never reach a request: a failed operation answers as if the
 * cache were empty (a miss, nothing stored, no flight held), is counted in
 * `sluice_cache_backend_errors_total{operation}`, and an outage is logged once when it
 * begins and once when an operation succeeds again.
 */
import type { CacheEntry, CacheStore } from './cache-store.ts';

export interface OutageLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * Runs a backend's operations so a failure gives the fallback instead: counted, and the
 * outage logged once when it begins and once when an operation succeeds again. One guard
 * may serve several stores on one backend (the response cache and the semantic index).
 */
export class OutageGuard {
  private failing = false;

  constructor(
    private readonly onFailure: (operation: string) => void,
    private readonly log: OutageLog,
    /** What failed, in the log lines: `cache backend`. */
    private readonly what = 'cache backend',
  ) {}

  async run<T>(operation: string, run: () => Promise<T>, fallback: () => T): Promise<T> {
    try {
      const result = await run();
      if (this.failing) {
        this.failing = false;
        this.log.info({ operation }, `${this.what} reachable again; caching resumed`);
      }
      return result;
    } catch (error) {
      this.onFailure(operation);
      if (!this.failing) {
        this.failing = true;
        this.log.warn({ operation, err: error }, `${this.what} failed; requests skip the cache until it answers again`);
      }
      return fallback();
    }
  }
}

export class ResilientCacheStore implements CacheStore {
  constructor(
    private readonly store: CacheStore,
    private readonly guard: OutageGuard,
  ) {}

  get(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>> {
    return this.guard.run(
      'get',
      () => this.store.get(keys),
      () => keys.map(() => undefined),
    );
  }

  set(entries: readonly CacheEntry[], ttlMs: number): Promise<void> {
    return this.guard.run(
      'set',
      () => this.store.set(entries, ttlMs),
      () => undefined,
    );
  }

  /** A flight that cannot be marked is run by this caller: the model runs, the request is answered. */
  acquire(key: string, holdMs: number): Promise<boolean> {
    return this.guard.run(
      'acquire',
      () => this.store.acquire(key, holdMs),
      () => true,
    );
  }

  release(key: string): Promise<void> {
    return this.guard.run(
      'release',
      () => this.store.release(key),
      () => undefined,
    );
  }

  landed(key: string, timeoutMs: number): Promise<boolean> {
    return this.guard.run(
      'landed',
      () => this.store.landed(key, timeoutMs),
      () => false,
    );
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
