/**
 * Who is calling: the API key of a request names its tenant (name, priority class,
 * weight). With auth off everyone is the one tenant "default". Keys are looked up by
 * their SHA-256 digest, never compared as text, so how long a lookup takes says nothing
 * about how much of a guessed key was right, and a lookup costs the same for any
 * number of keys.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { SluiceError } from '../core/errors.ts';

export interface Tenant {
  readonly name: string;
  /** The highest priority level its requests may use, and their default; undefined: the model's default. */
  readonly priority: number | undefined;
  readonly weight: number;
}

export const DEFAULT_TENANT: Tenant = Object.freeze({ name: 'default', priority: undefined, weight: 1 });

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export class TenantDirectory {
  private readonly byKeyDigest = new Map<string, Tenant>();
  /**
   * Each request's answer, by its headers object: the admission gate looks a request's key
   * up before authentication does, and a digest per lookup is the costly part. Node's
   * request and fastify's share the object, so the second lookup finds the first's answer.
   */
  private readonly byRequest = new WeakMap<Headers, Tenant | null>();

  constructor(private readonly config: Pick<Config, 'auth' | 'tenants'>) {
    for (const entry of config.tenants) {
      const tenant: Tenant = Object.freeze({ name: entry.name, priority: entry.priority, weight: entry.weight });
      for (const key of entry.api_keys) this.byKeyDigest.set(digest(key), tenant);
    }
  }

  get authEnabled(): boolean {
    return this.config.auth.enabled;
  }

  /** The tenant of a request, from its `Authorization: Bearer <key>` or `x-api-key` header. */
  identify(headers: Headers): Tenant {
    const tenant = this.tenantOf(headers);
    if (tenant !== undefined) return tenant;
    if (apiKeyOf(headers) === undefined) {
      throw new SluiceError(
        'ERR_AUTH_MISSING_KEY',
        'an API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"',
      );
    }
    throw new SluiceError('ERR_AUTH_INVALID_KEY', 'the API key is not valid');
  }

  /** As `identify`, without the error: undefined when the key is missing or wrong (for the admission gate, before authentication). */
  tenantOf(headers: Headers): Tenant | undefined {
    if (!this.config.auth.enabled) return DEFAULT_TENANT;
    const known = this.byRequest.get(headers);
    if (known !== undefined) return known ?? undefined;
    const key = apiKeyOf(headers);
    const tenant = key === undefined ? undefined : this.byKeyDigest.get(digest(key));
    this.byRequest.set(headers, tenant ?? null);
    return tenant;
  }
}

function apiKeyOf(headers: Headers): string | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
