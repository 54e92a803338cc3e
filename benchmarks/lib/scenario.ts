/** What `benchmarks/run.ts` needs to know of a scenario, and typed reads of its command-line options. */
import type { ParseArgsConfig } from 'node:util';

export type ScenarioOptions = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Readonly<Record<string, string | boolean | Array<string | boolean> | undefined>>;

export interface ScenarioContext {
  /** Shorter runs for a smoke test; the numbers are noisier. */
  readonly quick: boolean;
  readonly values: OptionValues;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Its own flags; names must not clash with another scenario's or with `--quick` and `--help`. */
  readonly options: ScenarioOptions;
  run(context: ScenarioContext): Promise<void>;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: OptionValues, name: string): string[] | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

export function numberOption(values: OptionValues, name: string, fallback: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
  return value;
}

/** `KEY=VALUE` pairs, e.g. `SLUICE_LOAD_CONTROL__ENABLED=false`, as an environment overlay. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return env;
}
