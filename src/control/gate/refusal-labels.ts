/**
 * Who a request is, as the admission gate sees it before its body is read: the model its
 * URL names and the tenant its API key names. Both come from the client, and label values
 * must stay bounded, so only a name that resolves becomes one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Tenant, TenantDirectory } from '../../tenancy/tenant-directory.ts';

export interface RefusedModel {
  readonly model: string;
  readonly version: string;
}

/** Finds a model version by name, throwing for a name or version that is not served. */
export interface ModelResolver {
  resolveLabels(name: string, version?: string): { readonly name: string; readonly version: string };
}

const UNRESOLVED: RefusedModel = Object.freeze({ model: '_unresolved', version: '' });

/** `decode` turns the URL's raw segments into names (a malformed one counts as unresolved). */
export function refusedModel(
  models: ModelResolver,
  name: string | undefined,
  version: string | undefined,
  decode: (segment: string) => string = (segment) => segment,
): RefusedModel {
  if (name === undefined) return UNRESOLVED;
  try {
    const resolved = models.resolveLabels(decode(name), version === undefined ? undefined : decode(version));
    return { model: resolved.name, version: resolved.version };
  } catch {
    return UNRESOLVED;
  }
}

/** Requests whose key is missing or wrong, counted as one tenant: authentication answers them 401 later. */
export const UNAUTHENTICATED: Tenant = Object.freeze({ name: '_unauthenticated', priority: undefined, weight: 1 });

/**
 * The tenant the gate weighs a request under (the gate runs before authentication):
 * "default" with auth off, the key's tenant, or `UNAUTHENTICATED`.
 */
export function gateTenant(tenants: TenantDirectory, headers: IncomingHttpHeaders): Tenant {
  return tenants.tenantOf(headers) ?? UNAUTHENTICATED;
}
