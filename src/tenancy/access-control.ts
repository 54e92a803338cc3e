/**
 * The one authentication and authorization step, for every route of every transport: a
 * route's declared access (src/http/route-scopes.ts) against the caller's key. Each
 * refusal is reported once (the audit log records it) before it is thrown.
 */
import { SluiceError, toSluiceError } from '../core/errors.ts';
import type { Scope } from '../state/store.ts';
import { ANONYMOUS, authorize, type Caller, type TenantDirectory } from './tenant-directory.ts';

export type RouteAccess = Scope | 'public';

export interface AuthFailure {
  readonly code: SluiceError['code'];
  /** The id of the key presented, when it had sluice's form (never the secret). */
  readonly keyId: string | undefined;
  /** e.g. "POST /v1/embeddings" or "grpc ModelInfer". */
  readonly route: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export class AccessControl {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly onFailure: (failure: AuthFailure) => void,
  ) {}

  /** The caller allowed on `route`, or a 401/403 (reported). Undeclared routes are refused to everyone. */
  admit(access: RouteAccess | undefined, headers: Headers, route: string): Caller {
    if (access === 'public') return ANONYMOUS;
    try {
      if (access === undefined)
        throw new SluiceError('ERR_AUTH_ROUTE_UNDECLARED', `${route} declares no scope, so no key may call it`);
      const caller = this.directory.identify(headers);
      authorize(caller, access);
      return caller;
    } catch (error) {
      const failure = toSluiceError(error);
      this.onFailure({ code: failure.code, keyId: this.directory.presentedKeyId(headers), route });
      throw failure;
    }
  }
}
