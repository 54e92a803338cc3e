/**
 * The cache in Redis, shared by every sluice process pointed at it: values are strings with
 * a TTL (PX), so Redis's own `maxmemory` policy bounds the memory (set `allkeys-lru`).
 * A flight is a lock key set with NX and a token, ended by a script that deletes it only
 * while it holds that token, then a PUBLISH of the key on one channel every process
 * subscribes to (one subscription, not one per key).
 *
 * Commands fail at once while Redis is unreachable (no offline queue, no retries), so a
 * request never waits for an outage: the caller (ResilientCacheStore) skips the cache.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { openRedis, redisReady } from '../../state/redis-connection.ts';
import type { CacheEntry, CacheStore } from './cache-store.ts';

/** Deletes the lock only while it still holds this process's token (its hold may have run out and passed on). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return redis.call('publish', KEYS[2], ARGV[2])`;

export interface RedisCacheOptions {
  readonly url: string;
  /** Every key and the channel start with it: replicas that share answers share the prefix. */
  readonly prefix: string;
  /** How long a command may take before the cache is skipped for it. */
  readonly commandTimeoutMs: number;
  /** Hears connection errors (they also fail the commands, which is what is counted). */
  readonly onError: (error: Error) => void;
}

export class RedisCacheStore implements CacheStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly token = randomUUID();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly channel: string;

  constructor(private readonly options: RedisCacheOptions) {
    const { url, commandTimeoutMs, onError } = options;
    this.channel = `${options.prefix}landed`;
    this.client = openRedis({ url, commandTimeoutMs, onError });
    // The subscriber keeps its queue: its SUBSCRIBE waits for a connection and is renewed on reconnect.
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null });
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (_channel: string, key: string) => this.wake(key));
    void this.subscriber.subscribe(this.channel).catch(onError);
  }

  /** Resolves once both connections are up, or after `timeoutMs` (then the cache is skipped until they are). */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady([this.client, this.subscriber], timeoutMs);
  }

  async get(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>> {
    if (keys.length === 0) return [];
    const values = await this.client.mget(keys.map((key) => this.options.prefix + key));
    return values.map((value) => value ?? undefined);
  }

  async set(entries: readonly CacheEntry[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const batch = this.client.multi();
    for (const { key, value } of entries) batch.set(this.options.prefix + key, value, 'PX', Math.ceil(ttlMs));
    const results = await batch.exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  async acquire(key: string, holdMs: number): Promise<boolean> {
    const result = await this.client.set(this.lockKey(key), this.token, 'PX', Math.ceil(holdMs), 'NX');
    return result === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.client.eval(RELEASE, 2, this.lockKey(key), this.channel, this.token, key);
  }

  async landed(key: string, timeoutMs: number): Promise<boolean> {
    let wake: () => void = () => {};
    const woken = new Promise<true>((resolve) => (wake = () => resolve(true)));
    const waiting = this.waiters.get(key) ?? new Set();
    this.waiters.set(key, waiting.add(wake));
    let timer: NodeJS.Timeout | undefined;
    try {
      // Waiting before looking: a release between the look and the wait is still heard.
      if ((await this.client.exists(this.lockKey(key))) === 0) return true;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      return await Promise.race([woken, timeout]);
    } finally {
      clearTimeout(timer);
      waiting.delete(wake);
      if (waiting.size === 0 && this.waiters.get(key) === waiting) this.waiters.delete(key);
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private lockKey(key: string): string {
    return `${this.options.prefix}flight:${key}`;
  }

  private wake(key: string): void {
    for (const wake of this.waiters.get(key) ?? []) wake();
  }
}
