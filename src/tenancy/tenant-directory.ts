/**
 * Who is calling: the API key of a request names its tenant (priority class, weight), its
 * scopes and the models it may call. With auth off everyone is the one tenant "default"
 * with every scope. Keys come from the config file (by hash) and from the store; `load`
 * replaces them all at once, so a revocation applies to the next request.
 */
import { SluiceError } from '../core/errors.ts';
import type { KeyRecord, Scope, TenantRecord } from '../state/store.ts';
import { parseApiKey, secretMatches, secretMatchesNothing } from './api-keys.ts';

export interface Tenant {
  readonly name: string;
  /** The highest priority level its requests may use, and their default; undefined: the model's default. */
  readonly priority: number | undefined;
  readonly weight: number;
}

/** A request's identity: its tenant, and the key it came with (null with auth off). */
export interface Caller {
  readonly tenant: Tenant;
  readonly key: CallerKey | null;
}

export interface CallerKey {
  readonly id: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Models it may call; null: every model. */
  readonly models: ReadonlySet<string> | null;
}

export const DEFAULT_TENANT: Tenant = Object.freeze({ name: 'default', priority: undefined, weight: 1 });
export const ANONYMOUS: Caller = Object.freeze({ tenant: DEFAULT_TENANT, key: null });

/** What the directory knows: tenants and their keys, from the config file and the store. */
export interface KeySnapshot {
  readonly tenants: readonly TenantRecord[];
  readonly keys: readonly KeyRecord[];
}

interface KnownKey {
  readonly caller: Caller;
  readonly hash: string;
  readonly expiresAtMs: number;
  readonly revoked: boolean;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The outcome of a lookup: a caller, or why not (the code authentication answers with). */
type Lookup = Caller | SluiceError;

export class TenantDirectory {
  private byId = new Map<string, KnownKey>();
  private tenantsByName = new Map<string, Tenant>();
  /**
   * Each request's answer, by its headers object: the admission gate looks a request's key
   * up before authentication does, and a hash per lookup is the costly part. Node's request
   * and fastify's share the object, so the second lookup finds the first's answer.
   */
  private byRequest = new WeakMap<Headers, Lookup>();

  constructor(
    readonly authEnabled: boolean,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Replaces every tenant and key; requests already identified keep their answer. */
  load(snapshot: KeySnapshot): void {
    const tenants = new Map<string, Tenant>();
    for (const record of snapshot.tenants) {
      tenants.set(
        record.name,
        Object.freeze({ name: record.name, priority: record.priority ?? undefined, weight: record.weight }),
      );
    }
    const byId = new Map<string, KnownKey>();
    for (const record of snapshot.keys) {
      const tenant = tenants.get(record.tenant);
      if (tenant === undefined) continue;
      const key: CallerKey = Object.freeze({
        id: record.id,
        scopes: new Set(record.scopes),
        models: record.models === null ? null : new Set(record.models),
      });
      byId.set(record.id, {
        caller: Object.freeze({ tenant, key }),
        hash: record.hash,
        expiresAtMs: record.expiresAt === null ? Infinity : Date.parse(record.expiresAt),
        revoked: record.revokedAt !== null,
      });
    }
    this.tenantsByName = tenants;
    this.byId = byId;
    this.byRequest = new WeakMap();
  }

  get keyCount(): number {
    return this.byId.size;
  }

  tenant(name: string): Tenant | undefined {
    return this.tenantsByName.get(name);
  }

  /** The caller of a request, from its `Authorization: Bearer <key>` or `x-api-key` header; 401 when there is none. */
  identify(headers: Headers): Caller {
    const found = this.lookup(headers);
    if (found instanceof SluiceError) throw found;
    return found;
  }

  /** As `identify`, without the error: undefined when the key is missing or not good (for the admission gate). */
  callerOf(headers: Headers): Caller | undefined {
    const found = this.lookup(headers);
    return found instanceof SluiceError ? undefined : found;
  }

  tenantOf(headers: Headers): Tenant | undefined {
    return this.callerOf(headers)?.tenant;
  }

  /** The key id a request presented, valid or not (for the audit record of a failure). */
  presentedKeyId(headers: Headers): string | undefined {
    const key = apiKeyOf(headers);
    return key === undefined ? undefined : parseApiKey(key)?.id;
  }

  private lookup(headers: Headers): Lookup {
    if (!this.authEnabled) return ANONYMOUS;
    const known = this.byRequest.get(headers);
    if (known !== undefined) return known;
    const found = this.verify(apiKeyOf(headers));
    this.byRequest.set(headers, found);
    return found;
  }

  private verify(presented: string | undefined): Lookup {
    if (presented === undefined) {
      return new SluiceError(
        'ERR_AUTH_MISSING_KEY',
        'an API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"',
      );
    }
    const parsed = parseApiKey(presented);
    const known = parsed === undefined ? undefined : this.byId.get(parsed.id);
    if (parsed === undefined || known === undefined) {
      secretMatchesNothing(parsed?.secret ?? presented);
      return new SluiceError('ERR_AUTH_INVALID_KEY', 'the API key is not valid');
    }
    if (!secretMatches(parsed.secret, known.hash))
      return new SluiceError('ERR_AUTH_INVALID_KEY', 'the API key is not valid');
    // Only the holder of the real secret learns that the key was revoked or expired.
    if (known.revoked) return new SluiceError('ERR_AUTH_KEY_REVOKED', `API key ${parsed.id} has been revoked`);
    if (this.nowMs() >= known.expiresAtMs)
      return new SluiceError('ERR_AUTH_KEY_EXPIRED', `API key ${parsed.id} has expired`);
    return known.caller;
  }
}

/** 403 unless the caller's key has the scope (auth off: every scope). */
export function authorize(caller: Caller, scope: Scope): void {
  if (caller.key === null || caller.key.scopes.has(scope)) return;
  throw new SluiceError(
    'ERR_AUTH_SCOPE',
    `API key ${caller.key.id} does not have the "${scope}" scope this route needs (it has: ${[...caller.key.scopes].join(', ')})`,
  );
}

/** 403 unless the caller's key may call the model. */
export function authorizeModel(caller: Caller, model: string): void {
  const allowed = caller.key?.models;
  if (allowed === null || allowed === undefined || allowed.has(model)) return;
  throw new SluiceError('ERR_AUTH_MODEL_FORBIDDEN', `API key ${caller.key?.id} may not call model "${model}"`);
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
