/**
 * Where cached answers and in-flight markers live, shared by every replica that uses the
 * same backend: in this process's memory by default (src/cost/cache/memory-cache-store.ts),
 * in Redis when `state.redis_url` is set (redis-cache-store.ts). One contract suite
 * (cache-store.contract.ts) runs against both.
 *
 * A flight is a request being computed: the first caller `acquire`s its key and, once the
 * answer is stored, `release`s it, which wakes every caller `landed` is holding, here or in
 * another process; they then read the answer from the cache.
 */
export interface CacheEntry {
  readonly key: string;
  readonly value: string;
  /** The model it belongs to (eviction metrics). */
  readonly model: string;
}

export interface CacheStore {
  /** The values of `keys` in order; undefined where absent or expired. */
  get(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>>;
  set(entries: readonly CacheEntry[], ttlMs: number): Promise<void>;
  /** True when this caller now holds the key's flight (for at most `holdMs`); false when another does. */
  acquire(key: string, holdMs: number): Promise<boolean>;
  /** Ends the key's flight and wakes its waiters. */
  release(key: string): Promise<void>;
  /** True once the key's flight has ended (at once when none is held); false after `timeoutMs`. */
  landed(key: string, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}
