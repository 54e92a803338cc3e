/**
 * One model version being served: its instances (ONNX Runtime sessions) behind a
 * dynamic batcher with load control, its preprocessing and validation, and its
 * readiness. A model is not ready until its first instances have run warm-up batches
 * at every batch size the batcher may form, so the first request never meets a cold
 * session; instances added later warm up the same way before they take traffic.
 */
import { DynamicBatcher, type BatcherStats, type RowResult, type ShedEvent, type Ticket } from '../batching/index.ts';
import { Autoscaler, type AdaptiveLimit, type AdaptiveLimitStats, type AutoscalerStats } from '../../../control/index.ts';
import { SluiceError } from '../../../core/errors.ts';
import { makePreprocessor, type Item, type Preprocessor } from '../preprocess/index.ts';
import { shouldOffload } from '../preprocess/offload-policy.ts';
import { PreprocessError, type PreprocessPool } from '../preprocess/preprocess-pool.ts';
import { makeItemChecker, type CheckedItems, type ItemChecker } from './item-checker.ts';
import type { ReferenceProfile } from '../../../quality/reference-profile.ts';
import { resolveFills } from '../normalize/fill-values.ts';
import type { ItemLabel } from '../../../pipeline/request.ts';
import type { Row } from '../../../core/tensors.ts';
import type { ExecutionSlots } from './execution-slots.ts';
import { InstancePool, type InstancePoolStats } from './instance-pool.ts';
import { adaptiveLimitOf, autoscalingPolicyOf, schedulingOf } from './load-control.ts';
import type { ModelSpec } from './model-spec.ts';
import type { ExecutionMode, ModelSession, OpenSession } from './model-session.ts';
import { openModelSession } from './open-model-session.ts';
import type { ModelVersionEntry } from './repository.ts';
import { warmupBatchSizes, warmUpSession } from './warmup.ts';

export type ModelState = 'loading' | 'warming' | 'ready' | 'failed' | 'closed';

/** What a served model reports to metrics and logs; every callback is optional. */
export interface ModelObserver {
  batch?(model: ModelSpec, event: { size: number; inferenceMs: number }): void;
  shed?(model: ModelSpec, event: ShedEvent): void;
  scale?(model: ModelSpec, event: { from: number; to: number; reason: string }): void;
  limit?(model: ModelSpec, event: { limit: number; previous: number; reason: string }): void;
  /** An instance's session died on its own (its worker thread crashed); its running batch failed. */
  instanceLost?(model: ModelSpec, event: { replaced: boolean }): void;
}

export interface ServedModelOptions {
  readonly intraOpThreads: number;
  readonly maxItemsPerRequest: number;
  /** Off: one unbounded FIFO, fixed concurrency, no autoscaling (the naive baseline). */
  readonly loadControl: boolean;
  readonly observer?: ModelObserver;
  /** Batches executing at once across all models; unbounded when absent. */
  readonly executionSlots?: ExecutionSlots;
  /** Worker threads for preprocessing that would block the event loop; inline when absent. */
  readonly preprocessPool?: PreprocessPool;
  /** Where batches execute: a worker thread per instance (default), or the event loop's thread. */
  readonly execution?: ExecutionMode;
  /** Waits between attempts to replace a lost instance (1 s doubling to 30 s by default; tests shorten it). */
  readonly replaceBackoffMs?: { readonly first: number; readonly max: number };
  /** Opens one instance's session; `openModelSession` unless a caller wraps it (tests hold batches this way). */
  readonly openSession?: OpenSession;
}

export interface ModelLoadStats {
  readonly batcher: BatcherStats;
  readonly instances: InstancePoolStats;
  readonly concurrency: AdaptiveLimitStats | undefined;
  readonly autoscaler: AutoscalerStats | undefined;
}

export class ServedModel {
  readonly spec: ModelSpec;
  readonly dir: string;
  private readonly onnxPath: string;
  private stateValue: ModelState = 'loading';
  private failure: string | undefined;
  private readonly preprocess: Preprocessor;
  /** Swapped whole when a new reference changes the fills (`fillsFrom`). */
  private checker: ItemChecker;
  private readonly limit: AdaptiveLimit | undefined;
  private readonly pool: InstancePool;
  private batcher: DynamicBatcher | undefined;
  private autoscaler: Autoscaler | undefined;
  private warmed: number[] = [];
  /** Warm-up timings of the first instance, by batch size, until the batcher takes them. */
  private warmupTimings = new Map<number, number>();

  constructor(entry: ModelVersionEntry, private readonly options: ServedModelOptions) {
    this.spec = entry.spec;
    this.dir = entry.dir;
    this.onnxPath = entry.onnxPath;
    this.preprocess = makePreprocessor(entry.spec);
    this.checker = makeItemChecker(entry.spec, options.maxItemsPerRequest, entry.fills);
    const observer = options.observer;
    this.limit = adaptiveLimitOf(entry.spec, options.loadControl, (limit, previous, reason) => observer?.limit?.(this.spec, { limit, previous, reason }));
    this.pool = new InstancePool({
      start: () => this.startInstance(),
      limit: this.limit,
      ...(options.executionSlots === undefined ? {} : { executionSlots: options.executionSlots }),
      onCapacity: () => this.batcher?.wake(),
      onLost: (event) => options.observer?.instanceLost?.(this.spec, event),
      onReplacementFailed: (error) => this.onReplacementFailed(error),
      onReplaced: () => this.onReplaced(),
      ...(options.replaceBackoffMs === undefined ? {} : { replaceBackoffMs: options.replaceBackoffMs }),
    });
  }

  get state(): ModelState {
    return this.stateValue;
  }

  get ready(): boolean {
    return this.stateValue === 'ready';
  }

  /** The batch sizes the first instance's warm-up ran, in order. */
  get warmedBatchSizes(): readonly number[] {
    return this.warmed;
  }

  get failureReason(): string | undefined {
    return this.failure;
  }

  /** Starts and warms the first instances; the model turns ready only when they all succeed. */
  async start(): Promise<void> {
    try {
      this.stateValue = 'warming';
      await this.pool.scaleTo(this.spec.instances.min_instances);
      this.batcher = this.createBatcher();
      for (const [size, ms] of this.warmupTimings) this.batcher.recordWarmup(size, ms);
      this.startAutoscaler();
      this.stateValue = 'ready';
    } catch (error) {
      this.stateValue = 'failed';
      this.failure = (error as Error).message;
      throw error;
    }
  }

  /**
   * Normalises and checks the items (item-checker.ts): the items the model reads, or the
   * model its partial-data policy falls back to; throws a SluiceError naming every item
   * and field that breaks a rule.
   */
  check(items: readonly Item[], label: ItemLabel): CheckedItems {
    return this.checker.check(items, label);
  }

  /**
   * The fills of a new reference profile (captured from live traffic), checked as at load; the
   * function returned puts them in force for the next request. A request's items are checked in
   * one synchronous call to one checker, swapped whole: filled from one profile, never from two.
   */
  fillsFrom(profile: ReferenceProfile): () => void {
    if (!this.spec.inputs.some((input) => input.fill !== undefined && 'from' in input.fill)) return () => {};
    const { fills, issues } = resolveFills(this.spec.inputs, () => profile);
    const issue = issues[0];
    if (issue !== undefined) {
      const field = this.spec.inputs[Number(issue.path[1])]?.name ?? issue.path.join('.');
      throw new SluiceError(
        'ERR_QUALITY_REFERENCE_UNUSABLE',
        `model ${this.spec.name}:${this.spec.version}: the captured reference cannot fill field "${field}" (${issue.message}); nothing was changed`,
        { field: 'window' },
      );
    }
    const checker = makeItemChecker(this.spec, this.options.maxItemsPerRequest, fills);
    return () => {
      this.checker = checker;
    };
  }

  /**
   * Turns checked items into rows; throws a SluiceError naming the item. Work heavy
   * enough to stall the event loop runs in the preprocessing pool.
   */
  async prepare(items: readonly Item[], label: ItemLabel): Promise<Row[]> {
    const pool = this.options.preprocessPool;
    if (pool !== undefined && shouldOffload(this.spec, items)) {
      try {
        return await pool.run(this.spec, items);
      } catch (error) {
        if (error instanceof PreprocessError && error.itemIndex !== undefined) {
          throw new SluiceError('ERR_REQUEST_INVALID', `${label(error.itemIndex)}: ${error.message}`);
        }
        throw error;
      }
    }
    return items.map((item, index) => {
      try {
        return this.preprocess(item);
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw new SluiceError('ERR_REQUEST_INVALID', `${label(index)}: ${(error as Error).message}`);
      }
    });
  }

  infer(rows: readonly Row[], ticket: Ticket): Promise<RowResult[]> {
    const batcher = this.batcher;
    if (batcher === undefined || !this.ready) {
      throw new SluiceError('ERR_MODEL_NOT_READY', `model "${this.spec.name}" version ${this.spec.version} is ${this.stateValue}`);
    }
    return batcher.submitRequest(rows, ticket);
  }

  stats(): BatcherStats | undefined {
    return this.batcher?.stats();
  }

  loadStats(): ModelLoadStats | undefined {
    const batcher = this.batcher?.stats();
    if (batcher === undefined) return undefined;
    return { batcher, instances: this.pool.stats(), concurrency: this.limit?.stats(), autoscaler: this.autoscaler?.stats() };
  }

  /** Stops scaling, answers everything queued, then releases every instance. */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    await this.autoscaler?.stop();
    await this.batcher?.close();
    await this.pool.close();
  }

  private async startInstance(): Promise<ModelSession> {
    const open = this.options.openSession ?? openModelSession;
    const session = await open(this.onnxPath, this.spec.tensors, { intraOpThreads: this.options.intraOpThreads, execution: this.options.execution ?? 'worker' });
    try {
      const timings = await warmUpSession(session, this.spec, this.preprocess);
      if (this.warmed.length === 0) {
        this.warmed = warmupBatchSizes(this.spec);
        this.warmupTimings = timings;
      }
      return session;
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * A lost instance could not be replaced. With others still serving, the model carries
   * on smaller; with none left it turns failed, like a model that failed to load: not
   * ready (503 on readiness and on new requests, so an orchestrator takes it out), and
   * rows still queued fail at once with the same 503 instead of waiting for an instance.
   * The pool keeps retrying; the first replacement that starts makes it ready again.
   */
  private onReplacementFailed(error: unknown): void {
    const { ready, starting } = this.pool.stats();
    if (ready + starting > 0 || this.stateValue !== 'ready') return;
    this.stateValue = 'failed';
    this.failure = `an instance was lost and could not be replaced: ${(error as Error).message} (retrying)`;
    void this.autoscaler?.stop();
    this.pool.fail(new SluiceError('ERR_MODEL_NOT_READY', `model "${this.spec.name}" version ${this.spec.version} is failed: ${this.failure}`));
  }

  /**
   * A replacement started after earlier attempts failed. Only a model that was serving
   * loses instances, so a failed one here failed for want of this one: it serves again.
   */
  private onReplaced(): void {
    if (this.stateValue !== 'failed') return;
    this.stateValue = 'ready';
    this.failure = undefined;
    this.pool.recover();
    this.startAutoscaler();
  }

  private createBatcher(): DynamicBatcher {
    const { batching } = this.spec;
    const observer = this.options.observer;
    return new DynamicBatcher({
      policy: {
        maxBatchSize: batching.max_batch_size,
        maxQueueDelayMs: batching.max_queue_delay_ms,
        preferredBatchSizes: batching.preferred_batch_sizes,
        ragged: batching.ragged,
      },
      inputs: this.spec.tensors.inputs,
      scheduling: schedulingOf(this.spec, this.options.loadControl),
      concurrency: this.pool,
      execute: (batch) => this.pool.run(batch),
      onBatch: (event) => observer?.batch?.(this.spec, { size: event.size, inferenceMs: event.inferenceMs }),
      onShed: (event) => observer?.shed?.(this.spec, event),
    });
  }

  private startAutoscaler(): void {
    const policy = autoscalingPolicyOf(this.spec, this.options.loadControl);
    if (policy === undefined) return;
    this.autoscaler = new Autoscaler({
      policy,
      sample: () => {
        const batcher = this.batcher?.stats();
        const instances = this.pool.stats();
        return { ongoing: (batcher?.queued ?? 0) + (batcher?.runningRows ?? 0), instances: instances.ready, pending: instances.starting };
      },
      scaleTo: (instances, reason) => {
        this.options.observer?.scale?.(this.spec, { from: this.pool.size, to: instances, reason });
        return this.pool.scaleTo(instances);
      },
    });
    this.autoscaler.start();
  }
}
