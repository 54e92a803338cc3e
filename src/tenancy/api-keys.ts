/**
 * API keys as sluice makes them: `sk-sluice-<id>-<secret>`. The id is public (it names the
 * key in lists, logs and the audit log); the secret is 32 random base62 characters (190
 * bits) and is shown once. Only a salted SHA-256 of the secret is kept: a slow password
 * hash guards low-entropy secrets, and a random 190-bit secret is not one, while a hash on
 * every request must be cheap. Comparisons are constant-time (timingSafeEqual).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'sk-sluice-';
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 10;
const SECRET_LENGTH = 32;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}([${ID_ALPHABET}]{${ID_LENGTH}})-([A-Za-z0-9]{${SECRET_LENGTH}})$`);
/** `sha256:<salt, 32 hex>:<digest, 64 hex>`: what the store and a config file hold. */
export const KEY_HASH_PATTERN = /^sha256:[0-9a-f]{32}:[0-9a-f]{64}$/;
export const KEY_ID_PATTERN = new RegExp(`^[${ID_ALPHABET}]{${ID_LENGTH}}$`);

export interface NewApiKey {
  /** The whole key, to be shown once and never stored. */
  readonly key: string;
  readonly id: string;
  readonly hash: string;
}

export function generateApiKey(): NewApiKey {
  const id = randomString(ID_ALPHABET, ID_LENGTH);
  const secret = randomString(SECRET_ALPHABET, SECRET_LENGTH);
  return { key: `${KEY_PREFIX}${id}-${secret}`, id, hash: hashSecret(secret) };
}

/** The id and secret of a key in sluice's format; undefined for anything else. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (match === null) return undefined;
  return { id: match[1] as string, secret: match[2] as string };
}

/** The stored form of a whole key (for `sluice keys hash` and config files); undefined when not a sluice key. */
export function hashApiKey(key: string): { id: string; hash: string } | undefined {
  const parsed = parseApiKey(key);
  return parsed === undefined ? undefined : { id: parsed.id, hash: hashSecret(parsed.secret) };
}

function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): string {
  return `sha256:${salt}:${digest(salt, secret)}`;
}

/** Whether `secret` is the one `storedHash` was made from, in time that does not depend on how much matches. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const [, salt = '', expected = ''] = storedHash.split(':');
  const actual = Buffer.from(digest(salt, secret), 'hex');
  const wanted = Buffer.from(expected, 'hex');
  return wanted.length === actual.length && timingSafeEqual(actual, wanted);
}

/**
 * Spends what a real comparison spends, for a key whose id is unknown, so that the time of
 * an answer does not tell which ids exist.
 */
export function secretMatchesNothing(secret: string): false {
  secretMatches(secret, DUMMY_HASH);
  return false;
}
const DUMMY_HASH = `sha256:${'0'.repeat(32)}:${'0'.repeat(64)}`;

function digest(salt: string, secret: string): string {
  return createHash('sha256').update(salt).update(secret).digest('hex');
}

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += alphabet[randomInt(alphabet.length)];
  return text;
}
