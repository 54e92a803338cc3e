/**
 * A local model version as a pipeline target: the request's items are checked and turned
 * into rows (prepare), then queued in the model's batcher (run), which admits, sheds or
 * expires them by the request's ticket.
 */
import { SluiceError } from '../../core/errors.ts';
import type { TicketScheduling } from '../../pipeline/admit.ts';
import type { InferenceRequest, ItemLabel } from '../../pipeline/request.ts';
import type { Answer, PreparedCall, ProbeContext, Readiness, Target } from '../../pipeline/target.ts';
import { v2DatatypeOf, type Row } from '../../core/tensors.ts';
import type { Ticket } from '../../core/ticket.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { CheckedItems } from './models/item-checker.ts';
import type { ModelSpec } from './models/model-spec.ts';
import type { ServedModel } from './models/served-model.ts';
import { modelStatistics } from './model-statistics.ts';
import { dispatchWith } from '../../pipeline/target.ts';

/** Hears how long each item of a request waited in the batch queue (metrics). */
export type QueueObserver = (spec: ModelSpec, priority: number, queueMs: number) => void;

export class LocalTarget implements Target {
  readonly owner = 'sluice';

  constructor(
    private readonly model: ServedModel,
    private readonly onQueued: QueueObserver,
    /** The newest version of another local model: the partial-data policy's fallback. */
    private readonly localModel: (name: string) => Target | undefined = () => undefined,
  ) {}

  get name(): string {
    return this.model.spec.name;
  }

  get version(): string {
    return this.model.spec.version;
  }

  get scheduling(): TicketScheduling {
    return this.model.spec.scheduling;
  }

  get ready(): boolean {
    return this.model.ready;
  }

  get state(): string {
    return this.model.state;
  }

  get description(): ModelSpec {
    return this.model.spec;
  }

  async prepare(request: InferenceRequest): Promise<PreparedCall> {
    const { items } = request;
    if (items === undefined || request.stream) {
      throw new SluiceError(
        'ERR_MODEL_UNSUPPORTED_OPERATION',
        `model "${this.name}" is a local ${this.model.spec.task} model; it cannot ${request.stream ? 'stream' : request.operation}`,
        { field: 'model' },
      );
    }
    const checked = this.model.check(items.decode(this.model.spec), items.label);
    if (checked.kind === 'fallback') return this.fallBack(request, items.label, checked);
    const rows = await this.model.prepare(checked.items, items.label);
    const adjustments = checked.adjustments === undefined ? {} : { adjustments: [checked.adjustments] };
    const forItems = (indices: readonly number[]): PreparedCall => {
      const some = indices.map((index) => rows[index] as Row);
      return { run: ({ ticket }) => this.run(some, ticket) };
    };
    return { run: ({ ticket }) => this.run(rows, ticket), items: checked.items, forItems, ...adjustments };
  }

  /**
   * Items lacking fields, sent whole to the partial-data fallback model: each item keeps
   * the fields that model declares, it validates them its own way, and it is asked with a
   * ticket of its own scheduling. The answer's route says so: `partial-data-fallback:<model>`.
   */
  private async fallBack(
    request: InferenceRequest,
    label: ItemLabel,
    checked: CheckedItems & { kind: 'fallback' },
  ): Promise<PreparedCall> {
    const target = this.localModel(checked.model);
    if (target === undefined)
      throw new SluiceError(
        'ERR_MODEL_NOT_FOUND',
        `model "${this.name}" falls back to "${checked.model}", which is not served`,
      );
    const decode = (model: ModelDescription) =>
      checked.items.map((item) =>
        Object.fromEntries(model.inputs.flatMap(({ name }) => (name in item ? [[name, item[name]]] : []))),
      );
    const prepared = await target.prepare({
      ...request,
      model: target.name,
      version: undefined,
      items: { decode, label },
    });
    const route = `partial-data-fallback:${target.name}`;
    return {
      run: async (dispatch) => {
        const answer = await prepared.run(dispatchWith(dispatch, { ticket: dispatch.ticketFor(target.scheduling) }));
        return { ...answer, provenance: { ...answer.provenance, route } };
      },
      ...(prepared.items === undefined ? {} : { items: prepared.items }),
      adjustments: [checked.adjustments, ...(prepared.adjustments ?? [])],
    };
  }

  async metadata(_context: ProbeContext, known: { readonly versions: readonly string[] }): Promise<Answer> {
    const { spec } = this.model;
    const document = {
      name: spec.name,
      versions: known.versions,
      platform: 'onnxruntime_onnx',
      inputs: spec.inputs.map((input) => ({ name: input.name, datatype: input.datatype, shape: [-1, ...input.shape] })),
      outputs: spec.tensors.outputs.map((output) => ({
        name: output.name,
        datatype: v2DatatypeOf(output.dtype),
        shape: output.shape,
      })),
      parameters: {
        task: spec.task,
        ...(spec.labels === undefined ? {} : { labels: spec.labels }),
        max_batch_size: spec.batching.max_batch_size,
        cost_per_item: spec.cost.per_item,
        ready: this.model.ready,
      },
    };
    const provenance = { model: spec.name, version: spec.version, route: 'direct', engineMs: 0 };
    return { kind: 'document', status: 200, document, provenance };
  }

  async probeReady(): Promise<Readiness> {
    return { ready: this.model.ready, version: this.version };
  }

  statistics(): Readonly<Record<string, unknown>> {
    return modelStatistics(this.model);
  }

  private async run(rows: readonly Row[], ticket: Ticket): Promise<Answer> {
    const { spec } = this.model;
    try {
      const results = await this.model.infer(rows, ticket);
      let queueMs = 0;
      let engineMs = 0;
      for (const result of results) {
        queueMs = Math.max(queueMs, result.queueMs);
        engineMs = Math.max(engineMs, result.inferenceMs);
        this.onQueued(spec, ticket.priority, result.queueMs);
      }
      const provenance = { model: spec.name, version: spec.version, route: 'direct', engineMs };
      return { kind: 'rows', provenance, model: spec, rows: results.map((result) => result.outputs), queueMs };
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw new SluiceError('ERR_INFERENCE_FAILED', `model "${spec.name}" failed to run: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
