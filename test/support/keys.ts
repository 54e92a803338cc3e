/** API keys for tests: made as sluice makes them, declared in a config by their hash. */
import { generateApiKey } from '../../src/tenancy/api-keys.ts';
import { SCOPES, type Scope } from '../../src/state/store.ts';

export interface TestKey {
  /** The whole key, as a client sends it. */
  readonly key: string;
  readonly id: string;
  /** The config entry that declares it (`tenants[].keys[]`). */
  readonly entry: { id: string; hash: string; scopes: Scope[]; models?: string[]; expires_at?: string };
  readonly bearer: { authorization: string };
}

export function testKey(
  options: { scopes?: readonly Scope[]; models?: readonly string[]; expiresAt?: string } = {},
): TestKey {
  const made = generateApiKey();
  return {
    key: made.key,
    id: made.id,
    entry: {
      id: made.id,
      hash: made.hash,
      scopes: [...(options.scopes ?? SCOPES)],
      ...(options.models === undefined ? {} : { models: [...options.models] }),
      ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
    },
    bearer: { authorization: `Bearer ${made.key}` },
  };
}
