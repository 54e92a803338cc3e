/**
 * A model's golden set as request items, for any model (text or tabular): the inputs the
 * `batching` benchmark sends over HTTP and the ceiling process stacks into ideal batches.
 * The golden rows carry their label beside the request fields; only the fields named in
 * `model.yaml`'s `inputs` are kept, so an item is exactly what a client would send.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestSource } from './http-target.ts';

export type GoldenItem = Readonly<Record<string, unknown>>;

/** The part of a `model.yaml` input that a KServe v2 request names. */
export interface V2Input {
  readonly name: string;
  readonly datatype: string;
}

/** The golden items of `<versionDir>/golden.jsonl`, reduced to the request fields in `inputs`. */
export async function goldenItems(versionDir: string, inputs: readonly V2Input[]): Promise<GoldenItem[]> {
  const text = await readFile(join(versionDir, 'golden.jsonl'), 'utf8');
  return parseGoldenItems(text, inputs);
}

export function parseGoldenItems(jsonl: string, inputs: readonly V2Input[]): GoldenItem[] {
  const items: GoldenItem[] = [];
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const row: unknown = JSON.parse(line);
    if (typeof row !== 'object' || row === null) continue;
    const record = row as Record<string, unknown>;
    // A row lacking a field would be refused by the server: it is no ideal input, so it is skipped.
    if (!inputs.every((input) => input.name in record)) continue;
    items.push(Object.fromEntries(inputs.map((input) => [input.name, record[input.name]])));
  }
  if (items.length === 0)
    throw new Error(`no golden rows carry every input (${inputs.map((input) => input.name).join(', ')})`);
  return items;
}

/**
 * The items cut into full batches of `size`, in order; the items are repeated from the
 * start when they run out, so every batch is full and no item is left out.
 */
export function fullBatches<Item>(items: readonly Item[], size: number): Item[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch size must be an integer ≥ 1, got ${size}`);
  if (items.length === 0) throw new RangeError('no items to batch');
  const count = Math.ceil(items.length / size);
  return Array.from({ length: count }, (_, batch) =>
    Array.from({ length: size }, (_, row) => items[(batch * size + row) % items.length] as Item),
  );
}

/** The KServe v2 infer body for one item: each field as an input of shape [1]. */
export function v2InferBody(item: GoldenItem, inputs: readonly V2Input[]): string {
  return JSON.stringify({
    inputs: inputs.map((input) => ({
      name: input.name,
      datatype: input.datatype,
      shape: [1],
      data: [item[input.name]],
    })),
  });
}

/** One item per request, cycling through `items` in order, bodies serialised up front. */
export function v2ItemInferRequests(
  model: string,
  inputs: readonly V2Input[],
  items: readonly GoldenItem[],
): RequestSource {
  if (items.length === 0) throw new Error('no items to send');
  const path = `/v2/models/${encodeURIComponent(model)}/infer`;
  const specs = items.map((item) => ({ method: 'POST', path, body: v2InferBody(item, inputs) }) as const);
  return (index) => {
    const spec = specs[index % specs.length];
    if (spec === undefined) throw new RangeError(`no request for index ${index}`);
    return spec;
  };
}
