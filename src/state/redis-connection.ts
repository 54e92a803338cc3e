/**
 * The Redis connection the shared-state stores (caches, the semantic index, limits) use: a
 * command that cannot be sent at once fails at once (no offline queue, no retries), so a
 * request never waits on a Redis that is away; each store falls back as its docs say.
 */
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  readonly url: string;
  /** A command not answered within this fails. */
  readonly commandTimeoutMs: number;
  readonly onError: (error: Error) => void;
}

export function openRedis(options: RedisConnectionOptions): Redis {
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
  });
  client.on('error', options.onError);
  return client;
}

/** Resolves true once every client is ready, or false after `timeoutMs`. */
export async function redisReady(clients: readonly Redis[], timeoutMs: number): Promise<boolean> {
  const up = (client: Redis) =>
    client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', resolve));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const ready = Promise.all(clients.map(up)).then(() => true);
  return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
}
