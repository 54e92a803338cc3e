/**
 * What a request asks of caches, from its headers: `Cache-Control: no-cache` (answer fresh,
 * but store the answer), `no-store` (neither look up nor store) and `x-sluice-cache: allow`
 * (a sampled LLM answer may be cached and served: the caller accepts a repeat).
 */
import { SluiceError } from '../../core/errors.ts';
import type { CacheDirectives } from '../../pipeline/context.ts';

export const NO_DIRECTIVES: CacheDirectives = Object.freeze({ noCache: false, noStore: false, allowSampled: false });

type HeaderValue = string | string[] | undefined;

/** The directives of a request's headers; a bad `x-sluice-cache` is a 400 naming it. */
export function readCacheDirectives(cacheControl: HeaderValue, sluiceCache: HeaderValue): CacheDirectives {
  if (cacheControl === undefined && sluiceCache === undefined) return NO_DIRECTIVES;
  // Other Cache-Control directives (max-age, ...) are about HTTP caches and are ignored, as RFC 9111 allows.
  const directives = new Set(
    [cacheControl ?? []]
      .flat()
      .flatMap((value) => value.split(','))
      .map((directive) => directive.trim().toLowerCase()),
  );
  return {
    noCache: directives.has('no-cache'),
    noStore: directives.has('no-store'),
    allowSampled: readAllow(sluiceCache),
  };
}

function readAllow(value: HeaderValue): boolean {
  if (value === undefined) return false;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text.trim().toLowerCase() === 'allow') return true;
  throw new SluiceError('ERR_REQUEST_INVALID', `x-sluice-cache must be "allow", got "${text}"`, {
    field: 'x-sluice-cache',
  });
}
