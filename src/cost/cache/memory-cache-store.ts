/**
 * The in-process cache: entries by key in a map, and in least-recently-used order in a
 * doubly linked list through the entries (a hit moves its entry to the newest end, eviction
 * takes from the oldest), bounded by bytes, with a deadline per entry. The order is not
 * kept by deleting and re-inserting map keys: on a map of ten thousand entries V8 makes
 * that about 5 µs a hit (its hash table rehashes as deletions pile up) against tens of ns.
 * Bytes are the key's and the value's lengths: the values are ASCII (JSON, base64), one
 * byte a character in V8. Flights are held in a map with their waiters.
 */
import type { CacheEntry, CacheStore } from './cache-store.ts';

interface StoredEntry {
  readonly key: string;
  readonly value: string;
  readonly model: string;
  readonly bytes: number;
  readonly expiresAt: number;
  /** Neighbours in recency order; undefined at either end. */
  older: StoredEntry | undefined;
  newer: StoredEntry | undefined;
}

interface HeldFlight {
  readonly until: number;
  readonly waiters: Set<() => void>;
}

export interface MemoryCacheOptions {
  readonly maxBytes: number;
  /** Milliseconds; tests move it. */
  readonly now?: () => number;
  /** Hears each entry evicted to make room (not those that expired). */
  readonly onEvict?: (model: string) => void;
}

export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, StoredEntry>();
  private oldest: StoredEntry | undefined;
  private newest: StoredEntry | undefined;
  private readonly flights = new Map<string, HeldFlight>();
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: MemoryCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Bytes held now (tests, stats). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async get(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>> {
    const now = this.now();
    return keys.map((key) => {
      const entry = this.entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now) {
        this.remove(key);
        return undefined;
      }
      this.unlink(entry);
      this.append(entry);
      return entry.value;
    });
  }

  async set(entries: readonly CacheEntry[], ttlMs: number): Promise<void> {
    const expiresAt = this.now() + ttlMs;
    for (const { key, value, model } of entries) {
      const bytes = key.length + value.length;
      this.remove(key);
      if (bytes > this.options.maxBytes) continue; // never fits: storing it would only empty the cache
      const stored: StoredEntry = { key, value, model, bytes, expiresAt, older: undefined, newer: undefined };
      this.entries.set(key, stored);
      this.append(stored);
      this.bytes += bytes;
      this.evictOverBound();
    }
  }

  async acquire(key: string, holdMs: number): Promise<boolean> {
    const now = this.now();
    const held = this.flights.get(key);
    if (held !== undefined && held.until > now) return false;
    this.flights.set(key, { until: now + holdMs, waiters: held?.waiters ?? new Set() });
    return true;
  }

  async release(key: string): Promise<void> {
    const held = this.flights.get(key);
    if (held === undefined) return;
    this.flights.delete(key);
    for (const wake of held.waiters) wake();
  }

  landed(key: string, timeoutMs: number): Promise<boolean> {
    const held = this.flights.get(key);
    if (held === undefined || held.until <= this.now()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        held.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        held.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      held.waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.unlink(entry);
    this.bytes -= entry.bytes;
  }

  /** Least recently used first; expired entries met on the way go without counting as evictions. */
  private evictOverBound(): void {
    const now = this.now();
    while (this.bytes > this.options.maxBytes && this.oldest !== undefined) {
      const entry = this.oldest;
      this.remove(entry.key);
      if (entry.expiresAt > now) this.options.onEvict?.(entry.model);
    }
  }

  private append(entry: StoredEntry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  private unlink(entry: StoredEntry): void {
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = entry.newer = undefined;
  }
}
