/**
 * Label values for a request the admission gate refused, read before its body: the
 * model its URL names and the tenant its API key names. Both come from the client, and
 * label values must stay bounded, so only a name that resolves becomes one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ModelRegistry } from '../models/registry.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';

export interface RefusedModel {
  readonly model: string;
  readonly version: string;
}

const UNRESOLVED: RefusedModel = Object.freeze({ model: '_unresolved', version: '' });

/** `decode` turns the URL's raw segments into names (a malformed one counts as unresolved). */
export function refusedModel(models: ModelRegistry, name: string | undefined, version: string | undefined, decode: (segment: string) => string = (segment) => segment): RefusedModel {
  if (name === undefined) return UNRESOLVED;
  try {
    const { spec } = models.resolve(decode(name), version === undefined ? undefined : decode(version));
    return { model: spec.name, version: spec.version };
  } catch {
    return UNRESOLVED;
  }
}

/** "default" with auth off, or when the key is missing or wrong (the gate runs before authentication). */
export function refusedTenant(tenants: TenantDirectory, headers: IncomingHttpHeaders): string {
  try {
    return tenants.identify(headers).name;
  } catch {
    return 'default';
  }
}
