/**
 * Copies of the default `noshow-risk` under other names, with their model.yaml's inputs'
 * rules and partial-data policy changed: the models the normalisation and partial-data
 * tests serve.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ReferenceProfile } from '../../src/quality/reference-profile.ts';

export type Spec = Record<string, unknown> & { inputs: Array<Record<string, unknown>> };

/** `noshow-risk` of the repository `from` as `name` in `root`, its model.yaml changed. */
export function copyModel(from: string, root: string, name: string, change: (spec: Spec) => void): void {
  const source = join(from, 'noshow-risk', '1');
  const dir = join(root, name, '1');
  mkdirSync(dir, { recursive: true });
  for (const file of ['model.onnx', 'reference-profile.json']) copyFileSync(join(source, file), join(dir, file));
  const spec = parse(readFileSync(join(source, 'model.yaml'), 'utf8')) as Spec;
  spec['name'] = name;
  change(spec);
  writeFileSync(join(dir, 'model.yaml'), stringify(spec));
}

export function input(spec: Spec, name: string): Record<string, unknown> {
  return spec.inputs.find((field) => field['name'] === name) as Record<string, unknown>;
}

/** The lower median of a copy's reference ages: what `fill: {from: reference}` gives `age`. */
export function referenceMedianAge(root: string, name: string): number {
  const profile = JSON.parse(readFileSync(join(root, name, '1', 'reference-profile.json'), 'utf8'));
  const ages = (profile as ReferenceProfile).features['age'];
  const sorted = ages?.kind === 'numeric' ? [...ages.values].sort((a, b) => a - b) : [];
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}
