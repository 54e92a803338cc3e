/**
 * The model repository on disk: `<root>/<name>/<version>/model.yaml` plus the ONNX file.
 * Reading it is all-or-nothing: one bad `model.yaml` stops startup with the file and
 * key named, rather than serving a partial set of models.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readProfile } from '../../../quality/reference-profile.ts';
import { resolveFills, type Fill } from '../normalize/fill-values.ts';
import { ModelSpec } from './model-spec.ts';

export interface ModelVersionEntry {
  readonly spec: ModelSpec;
  readonly dir: string;
  readonly onnxPath: string;
  /** The value of each field declaring `fill`, settled at load (from its reference profile for `from: reference`); a capture replaces them in the served model. */
  readonly fills: ReadonlyMap<string, Fill>;
}

export class ModelRepositoryError extends Error {
  override readonly name = 'ModelRepositoryError';
}

export function readModelRepository(root: string): ModelVersionEntry[] {
  if (!existsSync(root)) throw new ModelRepositoryError(`model repository ${root} does not exist`);
  const entries: ModelVersionEntry[] = [];
  for (const name of subdirectories(root)) {
    for (const version of subdirectories(join(root, name))) {
      const dir = join(root, name, version);
      if (existsSync(join(dir, 'model.yaml'))) entries.push(readModelVersion(dir, name, version));
    }
  }
  checkFallbacks(entries);
  return entries;
}

/**
 * Every partial-data fallback names another model of the repository that has all of the
 * model's outputs, and no chain of them comes back round.
 */
function checkFallbacks(entries: readonly ModelVersionEntry[]): void {
  const names = [...new Set(entries.map((entry) => entry.spec.name))];
  const fallbackOf = new Map<string, string>();
  for (const entry of entries) {
    const fallback = entry.spec.quality.partial_data.fallback_model;
    if (fallback === undefined) continue;
    const key = `${join(entry.dir, 'model.yaml')}: quality.partial_data.fallback_model`;
    if (!names.includes(fallback))
      throw new ModelRepositoryError(`${key}: "${fallback}" is not a model of this repository (models: ${names.join(', ')})`);
    checkFallbackOutputs(entry, newestOf(entries, fallback), key);
    fallbackOf.set(entry.spec.name, fallback);
  }
  for (const entry of entries) {
    const seen = [entry.spec.name];
    for (let next = fallbackOf.get(entry.spec.name); next !== undefined; next = fallbackOf.get(next)) {
      if (seen.includes(next)) {
        const key = `${join(entry.dir, 'model.yaml')}: quality.partial_data.fallback_model`;
        throw new ModelRepositoryError(`${key}: fallbacks go round: ${[...seen, next].join(' → ')}`);
      }
      seen.push(next);
    }
  }
}

/**
 * A KServe v2 or gRPC request's `outputs` are checked against the model it names before it
 * runs, and read again from the model that answered: a fallback lacking one of them would
 * refuse the request after the work ran.
 */
function checkFallbackOutputs(entry: ModelVersionEntry, fallback: ModelVersionEntry, key: string): void {
  const has = new Set(fallback.spec.tensors.outputs.map((output) => output.name));
  const missing = entry.spec.tensors.outputs.find((output) => !has.has(output.name));
  if (missing === undefined) return;
  const { name, version } = fallback.spec;
  throw new ModelRepositoryError(
    `${key}: "${name}" (version ${version}, the one a fallback asks) has no output "${missing.name}", an output of ` +
      `"${entry.spec.name}" a request may ask for (its outputs: ${[...has].join(', ')})`,
  );
}

/** The version of `name` a fallback asks: its highest. */
function newestOf(entries: readonly ModelVersionEntry[], name: string): ModelVersionEntry {
  const versions = entries.filter((entry) => entry.spec.name === name);
  return versions.reduce((newest, entry) => (Number(entry.spec.version) > Number(newest.spec.version) ? entry : newest));
}

export function readModelVersion(dir: string, expectedName?: string, expectedVersion?: string): ModelVersionEntry {
  const file = join(dir, 'model.yaml');
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelRepositoryError(`${file}: ${(error as Error).message}`);
  }
  const result = ModelSpec.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ModelRepositoryError(`${file}:\n  ${problems.join('\n  ')}`);
  }
  const spec = result.data;
  if (expectedName !== undefined && spec.name !== expectedName) {
    throw new ModelRepositoryError(`${file}: name "${spec.name}" does not match its directory "${expectedName}"`);
  }
  if (expectedVersion !== undefined && spec.version !== expectedVersion) {
    throw new ModelRepositoryError(`${file}: version "${spec.version}" does not match its directory "${expectedVersion}"`);
  }
  const onnxPath = join(dir, spec.onnx);
  if (!existsSync(onnxPath)) throw new ModelRepositoryError(`${file}: onnx file ${spec.onnx} not found in ${dir}`);
  const { fills, issues } = resolveFills(spec.inputs, () => readProfile(dir));
  if (issues.length > 0) {
    const problems = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ModelRepositoryError(`${file}:\n  ${problems.join('\n  ')}`);
  }
  return { spec, dir, onnxPath, fills };
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir)
    .filter((entry) => !entry.startsWith('.') && statSync(join(dir, entry)).isDirectory())
    .sort();
}
