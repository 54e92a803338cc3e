/**
 * What a model builder produces, and how it lands on disk:
 * `<root>/<name>/<version>/{model.onnx, README.md, golden.jsonl, model.yaml}`.
 * model.yaml is written last, so an interrupted build never leaves a directory
 * that the model repository would load.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import type { z } from 'zod';
import { ModelSpec } from '../../../engines/local/models/model-spec.ts';

export type ModelSpecDocument = z.input<typeof ModelSpec>;

export interface ModelArtifacts {
  readonly spec: ModelSpecDocument;
  readonly onnx: Uint8Array;
  readonly readme: string;
  /** Golden items: request fields plus "label". */
  readonly golden: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Headline metrics for the build summary. */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface BuiltModelSummary {
  readonly name: string;
  readonly version: string;
  readonly task: string;
  readonly dir: string;
  readonly onnxBytes: number;
  readonly onnxSha256: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export const MODEL_VERSION = '1';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function writeArtifacts(root: string, artifacts: ModelArtifacts): Promise<BuiltModelSummary> {
  const spec = ModelSpec.parse(artifacts.spec);
  const dir = join(root, spec.name, spec.version);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, spec.onnx), artifacts.onnx);
  await writeFile(join(dir, 'README.md'), artifacts.readme);
  await writeFile(join(dir, 'golden.jsonl'), artifacts.golden.map((item) => JSON.stringify(item)).join('\n') + '\n');
  await writeFile(join(dir, 'model.yaml'), specYaml(artifacts.spec));
  return {
    name: spec.name,
    version: spec.version,
    task: spec.task,
    dir,
    onnxBytes: artifacts.onnx.length,
    onnxSha256: sha256(artifacts.onnx),
    metrics: artifacts.metrics,
  };
}

/** YAML for people: lists of plain values on one line (`shape: [-1, 8]`), everything else in blocks. */
export function specYaml(spec: ModelSpecDocument): string {
  const document = new Document(spec);
  visit(document, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** True when every named model has a version 1 with both its model.yaml and its ONNX file. */
export function modelsPresent(root: string, names: readonly string[]): boolean {
  return names.every((name) => {
    const dir = join(root, name, MODEL_VERSION);
    return existsSync(join(dir, 'model.yaml')) && existsSync(join(dir, 'model.onnx'));
  });
}
