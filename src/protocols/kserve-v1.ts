/** KServe v1 prediction protocol: `POST /v1/models/{m}:predict` with `{"instances": [...]}`. */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import type { Item } from '../engines/local/preprocess/index.ts';
import type { ProtocolDeps } from './kserve-v2.ts';
import { toPrediction } from './predictions.ts';
import { limitsFromHeaders } from './requested-limits.ts';
import { runInference } from './run-inference.ts';

const predictBodySchema = {
  type: 'object',
  required: ['instances'],
  properties: { instances: { type: 'array' }, parameters: { type: 'object' } },
} as const;

export function registerKServeV1(app: FastifyInstance, deps: ProtocolDeps): void {
  // The regex ends the parameter at the colon; `::` is fastify's escape for a literal one.
  app.post<{ Params: { model: string }; Body: { instances: unknown[] } }>(
    '/v1/models/:model(^[^:/]+)::predict',
    { config: { protocol: 'kserve-v1', inference: true }, schema: { body: predictBodySchema } },
    async (request) => {
      const decode = (spec: ModelSpec) =>
        request.body.instances.map((instance, index) => toItem(instance, index, spec));
      const done = await runInference(deps, request, 'kserve-v1', {
        model: request.params.model,
        version: undefined,
        decode,
        itemLabel: (index) => `instances[${index}]`,
        limits: limitsFromHeaders(request.headers),
      });
      return { predictions: done.outputs.map((row) => toPrediction(row, done.model.spec)) };
    },
  );
}

/** An instance is an object of request fields, or the bare value for a single-field model. */
function toItem(instance: unknown, index: number, spec: ModelSpec): Item {
  const isObject = typeof instance === 'object' && instance !== null && !Array.isArray(instance);
  const only = spec.inputs.length === 1 ? spec.inputs[0] : undefined;
  if (isObject) return instance as Item;
  if (only !== undefined) return { [only.name]: instance };
  throw new SluiceError(
    'ERR_REQUEST_INVALID',
    `instances[${index}]: must be an object with fields ${spec.inputs.map((input) => `"${input.name}"`).join(', ')}`,
    { field: 'instances' },
  );
}
