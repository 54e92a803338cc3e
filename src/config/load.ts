/**
 * Loads the configuration: defaults, then the YAML file, then `SLUICE_*` environment
 * variables (`SLUICE_SERVER__PORT=9000` sets `server.port`; values are read as YAML
 * scalars, so numbers and booleans keep their type). A bad document fails here, with
 * the offending key named, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ENV_PREFIX = 'SLUICE_';

type Document = Record<string, unknown>;

export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Document } = {},
): Readonly<Config> {
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const merged = deepMerge(deepMerge(fromFile, envOverrides(options.env ?? process.env)), options.overrides ?? {});
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(
      `invalid configuration${options.file ? ` in ${options.file}` : ''}:\n  ${problems.join('\n  ')}`,
    );
  }
  return deepFreeze(result.data);
}

function readConfigFile(file: string): Document {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isDocument(parsed)) throw new ConfigError(`config file ${file} must hold a mapping at the top level`);
  return parsed;
}

function envOverrides(env: NodeJS.ProcessEnv): Document {
  const result: Document = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = key.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (path.some((segment) => segment.length === 0))
      throw new ConfigError(`environment variable ${key} has an empty key segment`);
    setPath(result, path, parseYaml(raw) ?? raw);
  }
  return result;
}

function setPath(target: Document, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (!isDocument(next)) node[segment] = {};
    node = node[segment] as Document;
  }
  node[path[path.length - 1] as string] = value;
}

function deepMerge(base: Document, override: Document): Document {
  const result: Document = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    result[key] = isDocument(current) && isDocument(value) ? deepMerge(current, value) : value;
  }
  return result;
}

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
