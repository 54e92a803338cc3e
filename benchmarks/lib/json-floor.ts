/**
 * The pure pieces of the JSON floor server (json-floor-server.ts): a KServe v2 JSON body
 * into items the bare way (one JSON.parse, one typed array per item of an FP32 input, the
 * strings of a BYTES input as they are), the greedy choice of the next batch, and the answer
 * sluice writes for the same request.
 */
import type { Row, RowTensor } from '../../src/core/tensors.ts';
import type { ModelSpec } from '../../src/engines/local/models/model-spec.ts';
import { rowsToV2Outputs } from '../../src/protocols/v2-tensors.ts';

export type FloorItem = Record<string, RowTensor | string>;

interface WireTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

function isWireTensor(value: unknown): value is WireTensor {
  if (typeof value !== 'object' || value === null) return false;
  const { name, datatype, shape, data } = value as Partial<WireTensor>;
  return typeof name === 'string' && typeof datatype === 'string' && Array.isArray(shape) && Array.isArray(data);
}

/**
 * The request's items: item i of every input, by name. Only what the benchmark sends is
 * understood (flat FP32 data of shape [n, ...item], BYTES strings of shape [n]); anything
 * else is an error, which the server answers with 400.
 */
export function decodeItems(body: unknown, spec: Pick<ModelSpec, 'inputs'>): FloorItem[] {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs) || !inputs.every(isWireTensor)) throw new Error('inputs must be an array of tensors');
  let items: FloorItem[] | undefined;
  for (const declared of spec.inputs) {
    const tensor = inputs.find((input) => input.name === declared.name);
    if (tensor === undefined) throw new Error(`no input "${declared.name}"`);
    const count = tensor.shape[0] ?? 0;
    items ??= Array.from({ length: count }, () => ({}));
    if (items.length !== count) throw new Error(`inputs disagree on the number of items`);
    if (tensor.datatype === 'BYTES') {
      items.forEach((item, index) => (item[declared.name] = String(tensor.data[index])));
      continue;
    }
    if (tensor.datatype !== 'FP32') throw new Error(`the floor reads FP32 and BYTES inputs, not ${tensor.datatype}`);
    const dims = tensor.shape.slice(1);
    const size = dims.reduce((product, dim) => product * dim, 1);
    if (tensor.data.length !== count * size) throw new Error(`input "${declared.name}" has the wrong number of values`);
    items.forEach((item, index) => {
      const data = new Float32Array(size);
      for (let offset = 0; offset < size; offset++) data[offset] = tensor.data[index * size + offset] as number;
      item[declared.name] = { dtype: 'float32', dims, data };
    });
  }
  return items ?? [];
}

/**
 * How many of the waiting requests (their item counts, oldest first) the next batch takes:
 * as many whole requests as fit in `maxBatch` items, and at least one. No waiting for more:
 * whatever queued while the last batch ran is the batch, as on an ideal batcher under load.
 */
export function takeRequests(itemCounts: readonly number[], maxBatch: number): number {
  let items = 0;
  let taken = 0;
  for (const count of itemCounts) {
    if (taken > 0 && items + count > maxBatch) break;
    items += count;
    taken += 1;
  }
  return taken;
}

/** The JSON sluice answers a KServe v2 infer with: model name and version, then every output. */
export function answerBody(spec: Pick<ModelSpec, 'name' | 'version' | 'tensors'>, rows: readonly Row[]): string {
  return JSON.stringify({
    model_name: spec.name,
    model_version: spec.version,
    outputs: rowsToV2Outputs(rows, spec.tensors.outputs),
  });
}
