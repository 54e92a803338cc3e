/**
 * One model version being served: its ONNX session behind a dynamic batcher, its
 * preprocessing and validation, and its readiness. A model is not ready until it has
 * run warm-up batches at every batch size the batcher may form, so the first real
 * request never pays for a cold session.
 */
import { DynamicBatcher, stackRows, type BatcherStats, type RowResult } from '../batching/index.ts';
import { SluiceError } from '../errors.ts';
import { makePreprocessor, type Item, type Preprocessor } from '../preprocess/index.ts';
import { makeItemValidator, type ItemLabel, type ItemValidator } from '../pipeline/validate-items.ts';
import type { Row } from '../tensors.ts';
import type { ModelSpec } from './model-spec.ts';
import { openOnnxSession, type OnnxSession } from './onnx-session.ts';
import type { ModelVersionEntry } from './repository.ts';
import { warmupRows } from './warmup.ts';

export type ModelState = 'loading' | 'warming' | 'ready' | 'failed' | 'closed';

export interface BatchObserver {
  (model: ModelSpec, event: { size: number; inferenceMs: number }): void;
}

export interface ServedModelOptions {
  readonly intraOpThreads: number;
  readonly maxItemsPerRequest: number;
  readonly onBatch?: BatchObserver;
}

export class ServedModel {
  readonly spec: ModelSpec;
  readonly dir: string;
  private readonly onnxPath: string;
  private stateValue: ModelState = 'loading';
  private failure: string | undefined;
  private session: OnnxSession | undefined;
  private batcher: DynamicBatcher | undefined;
  private readonly preprocess: Preprocessor;
  private readonly validator: ItemValidator;
  private readonly warmed: number[] = [];

  constructor(entry: ModelVersionEntry, private readonly options: ServedModelOptions) {
    this.spec = entry.spec;
    this.dir = entry.dir;
    this.preprocess = makePreprocessor(entry.spec);
    this.validator = makeItemValidator(entry.spec, options.maxItemsPerRequest);
    this.onnxPath = entry.onnxPath;
  }

  get state(): ModelState {
    return this.stateValue;
  }

  get ready(): boolean {
    return this.stateValue === 'ready';
  }

  /** The batch sizes warm-up has run, in order. */
  get warmedBatchSizes(): readonly number[] {
    return this.warmed;
  }

  get failureReason(): string | undefined {
    return this.failure;
  }

  /** Opens the session and runs warm-up; the model turns ready only when both succeed. */
  async start(): Promise<void> {
    try {
      const session = await openOnnxSession(this.onnxPath, this.spec.tensors, { intraOpThreads: this.options.intraOpThreads });
      this.session = session;
      this.stateValue = 'warming';
      await this.warmUp(session);
      this.batcher = this.createBatcher(session);
      this.stateValue = 'ready';
    } catch (error) {
      this.stateValue = 'failed';
      this.failure = (error as Error).message;
      throw error;
    }
  }

  /** Checks the items and turns them into rows; throws a SluiceError naming the item and field. */
  prepare(items: readonly Item[], label: ItemLabel): Row[] {
    this.validator.validate(items, label);
    return items.map((item, index) => {
      try {
        return this.preprocess(item);
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw new SluiceError('ERR_REQUEST_INVALID', `${label(index)}: ${(error as Error).message}`);
      }
    });
  }

  infer(rows: readonly Row[]): Promise<RowResult[]> {
    const batcher = this.batcher;
    if (batcher === undefined || !this.ready) {
      throw new SluiceError('ERR_MODEL_NOT_READY', `model "${this.spec.name}" version ${this.spec.version} is ${this.stateValue}`);
    }
    return Promise.all(rows.map((row) => batcher.submit(row)));
  }

  stats(): BatcherStats | undefined {
    return this.batcher?.stats();
  }

  async close(): Promise<void> {
    this.stateValue = 'closed';
    await this.batcher?.close();
    await this.session?.release();
  }

  private async warmUp(session: OnnxSession): Promise<void> {
    const sizes = this.spec.warmup?.batch_sizes ?? range(1, this.spec.batching.max_batch_size);
    const samples = warmupRows(this.spec, this.preprocess);
    // Grouped models only batch rows of one shape, so their warm-up repeats one sample.
    const rows = this.spec.batching.ragged === 'group' ? samples.slice(0, 1) : samples;
    for (const size of sizes) {
      const batchRows = Array.from({ length: size }, (_, index) => rows[index % rows.length] as Row);
      await session.run(stackRows(batchRows, this.spec.tensors.inputs, this.spec.batching.ragged));
      this.warmed.push(size);
    }
  }

  private createBatcher(session: OnnxSession): DynamicBatcher {
    const { batching } = this.spec;
    return new DynamicBatcher({
      policy: {
        maxBatchSize: batching.max_batch_size,
        maxQueueDelayMs: batching.max_queue_delay_ms,
        preferredBatchSizes: batching.preferred_batch_sizes,
        ragged: batching.ragged,
      },
      inputs: this.spec.tensors.inputs,
      execute: (batch) => session.run(batch),
      onBatch: (event) => this.options.onBatch?.(this.spec, { size: event.size, inferenceMs: event.inferenceMs }),
    });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
