/**
 * The model repository on disk: `<root>/<name>/<version>/model.yaml` plus the ONNX file.
 * Reading it is all-or-nothing: one bad `model.yaml` stops startup with the file and
 * key named, rather than serving a partial set of models.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ModelSpec } from './model-spec.ts';

export interface ModelVersionEntry {
  readonly spec: ModelSpec;
  readonly dir: string;
  readonly onnxPath: string;
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
  return entries;
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
  return { spec, dir, onnxPath };
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir)
    .filter((entry) => !entry.startsWith('.') && statSync(join(dir, entry)).isDirectory())
    .sort();
}
