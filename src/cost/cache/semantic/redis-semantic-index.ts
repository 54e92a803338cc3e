/**
 * The semantic index in Redis, shared by every sluice process on it. A bucket is two keys:
 *
 *   <prefix>semantic:<bucket>:entries  a list, oldest first, of binary entries:
 *       id (16 ASCII bytes) · expiry (float64 LE, ms since the epoch) ·
 *       parameters key length (uint16 LE) · parameters key · vector (float32 LE)
 *   <prefix>semantic:<bucket>:values   a hash from id to the stored answer
 *
 * Answers are kept apart from the vectors so a lookup reads the vectors only (a few
 * hundred bytes each) and then the one answer that matched. A script adds an entry and
 * drops the oldest beyond the bound from both keys at once, and renews both keys' TTL, so
 * a bucket nobody adds to disappears; an entry past its own expiry is skipped on read.
 * Commands fail at once while Redis is unreachable (no offline queue, no retries): the
 * caller (ResilientSemanticIndex) then answers a miss.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openRedis, redisReady } from '../../../state/redis-connection.ts';
import {
  bestMatch,
  type SemanticBounds,
  type SemanticEntry,
  type SemanticIndex,
  type SemanticMatch,
} from './semantic-index.ts';

const ID_BYTES = 16;
const HEADER_BYTES = ID_BYTES + 8 + 2;

const ADD = `redis.call('rpush', KEYS[1], ARGV[1])
redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
local over = redis.call('llen', KEYS[1]) - tonumber(ARGV[4])
for _ = 1, over do
  redis.call('hdel', KEYS[2], string.sub(redis.call('lpop', KEYS[1]), 1, ${ID_BYTES}))
end
redis.call('pexpire', KEYS[1], ARGV[5])
redis.call('pexpire', KEYS[2], ARGV[5])
return over`;

export interface RedisSemanticOptions {
  readonly url: string;
  /** Every key starts with it (the cache's `redis_prefix`). */
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  /** Hears connection errors (they also fail the commands, which is what is counted). */
  readonly onError: (error: Error) => void;
  /** Milliseconds since the epoch, the same scale in every process; tests move it. */
  readonly now?: () => number;
}

interface ReadEntry {
  readonly id: string;
  readonly expiresAt: number;
  readonly paramsKey: string;
  readonly vector: Float32Array;
}

export class RedisSemanticIndex implements SemanticIndex {
  private readonly client: Redis;
  private readonly now: () => number;

  constructor(private readonly options: RedisSemanticOptions) {
    this.now = options.now ?? Date.now;
    this.client = openRedis(options);
  }

  /** Resolves once connected, or false after `timeoutMs`. */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady([this.client], timeoutMs);
  }

  async nearest(
    bucket: string,
    paramsKey: string,
    vector: Float32Array,
    minSimilarity: number,
  ): Promise<SemanticMatch | undefined> {
    const now = this.now();
    const raw = await this.client.lrangeBuffer(this.key(bucket, 'entries'), 0, -1);
    const candidates = raw.map(decodeEntry).filter((entry) => entry.expiresAt > now && entry.paramsKey === paramsKey);
    const best = bestMatch(candidates, vector, minSimilarity);
    if (best === undefined) return undefined;
    const value = await this.client.hget(this.key(bucket, 'values'), best.candidate.id);
    // Dropped by another process's add since the vectors were read: a miss.
    return value === null ? undefined : { value, similarity: best.similarity };
  }

  async add(bucket: string, entry: SemanticEntry, bounds: SemanticBounds): Promise<void> {
    const id = randomBytes(ID_BYTES / 2).toString('hex');
    const encoded = encodeEntry(id, this.now() + bounds.ttlMs, entry);
    const keys = [this.key(bucket, 'entries'), this.key(bucket, 'values')];
    const args = [encoded, id, entry.value, bounds.maxEntries, Math.ceil(bounds.ttlMs)];
    await this.client.eval(ADD, keys.length, ...keys, ...args);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private key(bucket: string, part: 'entries' | 'values'): string {
    return `${this.options.prefix}semantic:${bucket}:${part}`;
  }
}

function encodeEntry(id: string, expiresAt: number, entry: SemanticEntry): Buffer {
  const params = Buffer.from(entry.paramsKey, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(id, 0, ID_BYTES, 'latin1');
  header.writeDoubleLE(expiresAt, ID_BYTES);
  header.writeUInt16LE(params.length, ID_BYTES + 8);
  const { buffer, byteOffset, byteLength } = entry.vector;
  return Buffer.concat([header, params, Buffer.from(buffer, byteOffset, byteLength)]);
}

function decodeEntry(bytes: Buffer): ReadEntry {
  const paramsLength = bytes.readUInt16LE(ID_BYTES + 8);
  const vectorAt = HEADER_BYTES + paramsLength;
  // A copy on its own buffer: a Float32Array needs 4-byte alignment, a Buffer's offset has none.
  const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset + vectorAt, bytes.byteOffset + bytes.byteLength));
  return {
    id: bytes.toString('latin1', 0, ID_BYTES),
    expiresAt: bytes.readDoubleLE(ID_BYTES),
    paramsKey: bytes.toString('utf8', HEADER_BYTES, vectorAt),
    vector,
  };
}
