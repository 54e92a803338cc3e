/**
 * Test support for the batcher: an executor that holds every batch until the test
 * answers it, so tests decide when each batch finishes (and, with `FakeClock`, how long
 * it took) instead of racing real time. Outputs are y = 2·x, so each row can be matched
 * to its own answer.
 */
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row, TensorData } from '../../../core/tensors.ts';
import type { BatchPolicy } from './batch-policy.ts';
import { DynamicBatcher, type DynamicBatcherOptions } from './batcher.ts';
import type { ShedEvent } from './batcher-stats.ts';
import { FakeClock } from '../../../core/clock.ts';
import type { Ticket } from '../../../core/ticket.ts';

export interface HeldCall {
  readonly batch: BatchTensors;
  readonly size: number;
  readonly resolve: (outputs: BatchTensors) => void;
  readonly reject: (error: unknown) => void;
}

export class HeldExecutor {
  readonly calls: HeldCall[] = [];
  readonly execute = (batch: BatchTensors, size: number): Promise<BatchTensors> =>
    new Promise((resolve, reject) => this.calls.push({ batch, size, resolve, reject }));

  get sizes(): number[] {
    return this.calls.map((call) => call.size);
  }

  /** The first values of input `x` of every row of call `index`, in batch order. */
  firstValues(index: number): number[] {
    const x = this.call(index).batch.x;
    if (x === undefined) return [];
    const [rows = 0] = x.dims;
    const stride = rows === 0 ? 0 : x.data.length / rows;
    return Array.from({ length: rows }, (_, row) => Number(x.data[row * stride]));
  }

  /** Answers call `index` with y = 2·x. */
  double(index: number): void {
    const call = this.call(index);
    const x = call.batch.x;
    if (x === undefined) throw new Error(`call ${index} has no input x`);
    call.resolve({
      y: { dtype: 'float32', dims: x.dims, data: Float32Array.from(x.data as Float32Array, (value) => value * 2) },
    });
  }

  call(index: number): HeldCall {
    const call = this.calls[index];
    if (call === undefined) throw new Error(`no call ${index}; calls so far: ${this.calls.length}`);
    return call;
  }
}

/** A row of one float32 input `x` holding `values`. */
export const row = (...values: number[]): Row => ({
  x: { dtype: 'float32', dims: [values.length], data: Float32Array.from(values) },
});

export const numbers = (data: TensorData | undefined): number[] =>
  Array.from((data ?? new Float32Array()) as Float32Array);

/** Lets queued microtasks and promise callbacks run (the batcher decides in a microtask). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One float32 input `x` of any length. */
export const VARIABLE_INPUT: readonly TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: [-1, -1], pad_value: 0 }];

export function ticket(tenant: string, options: Partial<Omit<Ticket, 'tenant'>> = {}): Ticket {
  return { priority: options.priority ?? 1, tenant, weight: options.weight ?? 1, deadlineMs: options.deadlineMs };
}

export interface HarnessOptions extends Partial<
  Omit<DynamicBatcherOptions, 'policy' | 'inputs' | 'execute' | 'clock'>
> {
  readonly policy?: Partial<BatchPolicy>;
}

/** A batcher on a fake clock and a held executor; shed events are collected in `sheds`. */
export function harness(options: HarnessOptions = {}) {
  const clock = new FakeClock();
  const executor = new HeldExecutor();
  const sheds: ShedEvent[] = [];
  const { policy, ...rest } = options;
  const batcher = new DynamicBatcher({
    onShed: (event) => sheds.push(event),
    ...rest,
    policy: { maxBatchSize: 4, maxQueueDelayMs: 0, preferredBatchSizes: [], ragged: 'pad', ...policy },
    inputs: VARIABLE_INPUT,
    execute: executor.execute,
    clock,
  });
  return { clock, executor, batcher, sheds };
}

/** Settles a promise into a record the test can inspect later, so a rejection is never unhandled. */
export function track<T>(promise: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}
