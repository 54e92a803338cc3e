/** KServe v1 prediction protocol: `POST /v1/models/{m}:predict` with `{"instances": [...]}`. */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { ModelDescription } from '../pipeline/model-description.ts';
import type { Item } from '../pipeline/request.ts';
import type { RowsAnswer } from '../pipeline/target.ts';
import { sendAnswer, type AnswerFormat } from './answers.ts';
import type { ProtocolDeps } from './deps.ts';
import { toPrediction } from './predictions.ts';
import { itemRoutes } from './provenance.ts';
import { limitsFromHeaders, pinnedVersion } from './requested-limits.ts';

const predictBodySchema = {
  type: 'object',
  required: ['instances'],
  properties: { instances: { type: 'array' }, parameters: { type: 'object' } },
} as const;

const PREDICT_FORMAT: AnswerFormat = {
  protocol: 'kserve-v1',
  rows: (answer: RowsAnswer) => {
    const routes = itemRoutes(answer);
    const predictions = answer.rows.map((row) => toPrediction(row, answer.model));
    return routes === undefined ? { predictions } : { predictions, item_routes: routes };
  },
  passThroughError: () => undefined,
};

export function registerKServeV1(app: FastifyInstance, deps: ProtocolDeps): void {
  // The regex ends the parameter at the colon; `::` is fastify's escape for a literal one.
  app.post<{ Params: { model: string }; Body: { instances: unknown[] } }>(
    '/v1/models/:model(^[^:/]+)::predict',
    { config: { protocol: 'kserve-v1', inference: true }, schema: { body: predictBodySchema } },
    async (request, reply) => {
      const { instances } = request.body;
      const done = await deps.infer(request, reply, 'kserve-v1', {
        operation: 'predict',
        model: request.params.model,
        version: pinnedVersion(request.headers),
        limits: limitsFromHeaders(request.headers),
        stream: false,
        family: 'kserve-v1',
        document: request.body,
        items: {
          decode: (model) => instances.map((instance, index) => toItem(instance, index, model)),
          label: (index) => `instances[${index}]`,
        },
      });
      return sendAnswer(reply, done, PREDICT_FORMAT);
    },
  );
}

/** An instance is an object of request fields, or the bare value for a single-field model. */
function toItem(instance: unknown, index: number, model: ModelDescription): Item {
  const isObject = typeof instance === 'object' && instance !== null && !Array.isArray(instance);
  const only = model.inputs.length === 1 ? model.inputs[0] : undefined;
  if (isObject) return instance as Item;
  if (only !== undefined) return { [only.name]: instance };
  throw new SluiceError(
    'ERR_REQUEST_INVALID',
    `instances[${index}]: must be an object with fields ${model.inputs.map((input) => `"${input.name}"`).join(', ')}`,
    { field: 'instances' },
  );
}
