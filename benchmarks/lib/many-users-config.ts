/**
 * sluice's settings for many-users: what holding N streams through one replica needs,
 * written into the config gateway-rows.ts's `writeGatewayConfig` made.
 *
 * A stream holds a connection to the replica for its whole length (its admission slot and
 * its replica concurrency slot only until it starts answering), so a replica holds at most
 * `connections` streams (1024 by default) and the rest wait in the pool. The sluice side
 * gets `connections` sized for N — what an operator whose replica holds N sequences sets —
 * and every other setting at its default; `--users-backend KEY=JSON` and
 * `--users-sluice-env` change them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigSchema } from '../../src/config/schema.ts';

/** Settings of `backends[0]` by key, values as YAML/JSON would give them. */
export type BackendSettings = Readonly<Record<string, unknown>>;

/** Never below the default: a small N is not a reason to shrink it. */
const SIZED_FLOOR = 1024;

export function sizedBackendSettings(users: number): BackendSettings {
  return { connections: Math.max(users, SIZED_FLOOR) };
}

/** `KEY=JSON` pairs (`connections=64`, `adaptive_concurrency={"enabled":false}`); a value that is not JSON is a string. */
export function parseBackendPairs(pairs: readonly string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`expected KEY=JSON, got "${pair}"`);
    const text = pair.slice(equals + 1);
    try {
      settings[pair.slice(0, equals)] = JSON.parse(text) as unknown;
    } catch {
      settings[pair.slice(0, equals)] = text;
    }
  }
  return settings;
}

export interface AppliedSettings {
  readonly applied: BackendSettings;
  /** Sized keys this sluice's config schema does not know (a feature not in this checkout), left out. */
  readonly unknown: readonly string[];
}

/**
 * Sets `settings` on every backend of the config at `configPath`. Keys of `sized` that the
 * checked-out schema refuses as unrecognised are dropped (so the scenario runs against a
 * sluice with or without them); anything else invalid stops the run with the schema's words.
 */
export async function applyBackendSettings(
  configPath: string,
  sized: BackendSettings,
  given: BackendSettings,
): Promise<AppliedSettings> {
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { backends?: Array<Record<string, unknown>> };
  const settings: Record<string, unknown> = { ...sized, ...given };
  for (const backend of config.backends ?? []) Object.assign(backend, settings);
  const unknown = unrecognisedBackendKeys(config).filter((key) => key in sized && !(key in given));
  for (const backend of config.backends ?? []) for (const key of unknown) delete backend[key];
  for (const key of unknown) delete settings[key];
  const check = ConfigSchema.safeParse(config);
  if (!check.success)
    throw new Error(
      `the many-users config is invalid: ${check.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { applied: settings, unknown };
}

function unrecognisedBackendKeys(config: unknown): string[] {
  const check = ConfigSchema.safeParse(config);
  if (check.success) return [];
  return check.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.path[0] === 'backends' ? issue.keys : [],
  );
}
