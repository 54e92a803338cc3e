/**
 * Limit counters in Redis, shared by every sluice process pointed at it. Each step is one
 * Lua script, so no other replica's step can come between a check and its add: RESERVE
 * reads every counter, refuses if one would go over (adding to none), else adds to all and
 * sets each one's expiry at its window's end; SETTLE adds each correction to a counter
 * still there (a window that ended is not brought back). Counters are integers (INCRBY).
 *
 * Commands fail at once while Redis is unreachable (no offline queue, no retries), so a
 * request never waits for an outage: ResilientLimitStore applies on_store_failure.
 */
import type { Redis } from 'ioredis';
import { openRedis, redisReady } from '../../state/redis-connection.ts';
import type { CounterCheck, CounterDelta, LimitStore, ReserveVerdict } from './limit-store.ts';

// ARGV: amount, limit, expiry (ms since the epoch) for each key in turn.
const RESERVE = `local used = {}
for i = 1, #KEYS do
  local value = tonumber(redis.call('get', KEYS[i]) or '0')
  local amount = tonumber(ARGV[3 * i - 2])
  if value + amount > tonumber(ARGV[3 * i - 1]) then return {0, i - 1, value} end
  used[i] = value + amount
end
for i = 1, #KEYS do
  redis.call('incrby', KEYS[i], ARGV[3 * i - 2])
  redis.call('pexpireat', KEYS[i], ARGV[3 * i])
end
return {1, used}`;

const SETTLE = `for i = 1, #KEYS do
  if redis.call('exists', KEYS[i]) == 1 then redis.call('incrby', KEYS[i], ARGV[i]) end
end
return #KEYS`;

export interface RedisLimitOptions {
  readonly url: string;
  /** Every counter's key starts with it: replicas that share limits share the prefix. */
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  /** Hears connection errors (they also fail the commands, which is what is counted). */
  readonly onError: (error: Error) => void;
}

export class RedisLimitStore implements LimitStore {
  private readonly client: Redis;

  constructor(private readonly options: RedisLimitOptions) {
    this.client = openRedis(options);
  }

  /** Resolves once connected, or false after `timeoutMs` (then on_store_failure applies until it is). */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady([this.client], timeoutMs);
  }

  async reserve(checks: readonly CounterCheck[]): Promise<ReserveVerdict> {
    if (checks.length === 0) return { admitted: true, used: [] };
    const keys = checks.map((check) => this.options.prefix + check.key);
    const args = checks.flatMap((check) => [whole(check.amount), whole(check.limit), whole(check.expiresAtMs)]);
    const reply = (await this.client.eval(RESERVE, keys.length, ...keys, ...args)) as [
      number,
      number | number[],
      number?,
    ];
    if (reply[0] === 1) return { admitted: true, used: reply[1] as number[] };
    return { admitted: false, refused: reply[1] as number, used: reply[2] ?? 0 };
  }

  async settle(deltas: readonly CounterDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const keys = deltas.map((delta) => this.options.prefix + delta.key);
    await this.client.eval(SETTLE, keys.length, ...keys, ...deltas.map((delta) => whole(delta.delta)));
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

/** INCRBY takes integers only; every amount is whole already (requests, tokens, billionths). */
function whole(value: number): string {
  return String(Math.round(value));
}
