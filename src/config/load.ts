/**
 * Loads the configuration: defaults, then the YAML file, then `SLUICE_*` environment
 * variables (`env.ts`), then the command line's overrides. A bad document fails here,
 * with the offending key (or variable) named, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { envOverrides, EnvKeyError, isDocument } from './env.ts';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Document = Record<string, unknown>;

export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Document } = {},
): Readonly<Config> {
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const merged = deepMerge(deepMerge(fromFile, readEnv(options.env ?? process.env)), options.overrides ?? {});
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

function readEnv(env: NodeJS.ProcessEnv): Document {
  try {
    return envOverrides(env, ConfigSchema);
  } catch (error) {
    if (error instanceof EnvKeyError) throw new ConfigError(error.message);
    throw error;
  }
}

function deepMerge(base: Document, override: Document): Document {
  const result: Document = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    result[key] = isDocument(current) && isDocument(value) ? deepMerge(current, value) : value;
  }
  return result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
