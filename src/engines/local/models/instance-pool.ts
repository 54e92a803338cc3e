/**
 * The instances (ONNX Runtime sessions) of one model version, and the concurrency gate
 * the batcher asks before launching a batch. A batch may start when an instance is free
 * AND the adaptive concurrency limit has room, so the limit can keep the CPU from being
 * over-subscribed even when instances are idle.
 *
 *   starting ──warm-up at every batch size──► ready ──scale down──► draining ──idle──► closed
 *                                               └──session lost (worker crashed)──► closed,
 *                                                  and a new instance starts in its place
 *
 * A new instance takes no traffic until its warm-up is done (no request ever waits on a
 * cold session); an instance leaving finishes its running batch before it is released.
 * A lost instance's running batch has already failed (its session rejects it); the
 * replacement keeps the pool at the size the autoscaler asked for, retried with a growing
 * wait while it fails. Once the pool has `fail`ed, rows still queued get permits that fail
 * at once, so nobody waits on a model that has no instance left, until `recover`.
 */
import type { ConcurrencyGate, GateOutcome, GatePermit } from '../../../control/concurrency-gate.ts';
import type { AdaptiveLimit } from '../../../control/adaptive-limit.ts';
import type { BatchTensors } from '../../../core/tensors.ts';
import type { ExecutionSlots } from './execution-slots.ts';
import type { ModelSession } from './model-session.ts';

type InstanceState = 'starting' | 'ready' | 'draining' | 'closed';

const DEFAULT_REPLACE_BACKOFF_MS = { first: 1_000, max: 30_000 };

interface Instance {
  readonly id: number;
  state: InstanceState;
  busy: boolean;
  session: ModelSession | undefined;
}

export interface InstancePoolOptions {
  /** Opens a session and runs its warm-up; the instance is ready when this resolves. */
  readonly start: () => Promise<ModelSession>;
  readonly limit: AdaptiveLimit | undefined;
  /** The process-wide bound on batches executing at once, shared by every model. */
  readonly executionSlots?: ExecutionSlots;
  /** Called when capacity grew (an instance became ready, a batch finished, a slot freed). */
  readonly onCapacity: () => void;
  /** An instance's session died on its own (a worker thread crashed); `replaced`: another is starting in its place. */
  readonly onLost?: (event: { readonly replaced: boolean }) => void;
  /** An instance was lost and its replacement failed to start; the pool is smaller by one until a retry succeeds. */
  readonly onReplacementFailed?: (error: unknown) => void;
  /** A replacement started after earlier attempts failed: the pool is whole again. */
  readonly onReplaced?: () => void;
  /** Waits before retrying a failed replacement, doubling from `first` up to `max`; 1 s to 30 s by default. */
  readonly replaceBackoffMs?: { readonly first: number; readonly max: number };
}

export interface InstancePoolStats {
  readonly ready: number;
  readonly starting: number;
  readonly draining: number;
  readonly busy: number;
  readonly permits: number;
}

export class InstancePool implements ConcurrencyGate {
  private readonly instances: Instance[] = [];
  private nextId = 1;
  private permits = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Timers of replacements waiting to be retried, so `close` can cancel them. */
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(private readonly options: InstancePoolOptions) {}

  get limit(): number {
    return Math.min(this.readyCount(), this.options.limit?.limit ?? Number.POSITIVE_INFINITY);
  }

  /** Ready instances plus those warming up: what the autoscaler has asked for. */
  get size(): number {
    return this.instances.filter((instance) => instance.state === 'ready' || instance.state === 'starting').length;
  }

  tryAcquire(): GatePermit | undefined {
    // No release callback: the batcher re-decides after every batch anyway, and waking it from here would spin.
    if (this.failure !== undefined && this.readyCount() === 0) return { release: () => {} };
    if (this.permits >= this.readyCount()) return undefined;
    const limitPermit = this.options.limit?.tryAcquire();
    if (this.options.limit !== undefined && limitPermit === undefined) return undefined;
    const slot = this.options.executionSlots?.tryAcquire(this.options.onCapacity);
    if (this.options.executionSlots !== undefined && slot === undefined) {
      limitPermit?.release('ignore');
      return undefined;
    }
    this.permits += 1;
    let released = false;
    return {
      release: (outcome: GateOutcome) => {
        if (released) return;
        released = true;
        this.permits -= 1;
        limitPermit?.release(outcome);
        slot?.release();
        this.options.onCapacity();
      },
    };
  }

  /** Runs one batch on a free ready instance; a permit from `tryAcquire` guarantees there is one. */
  async run(batch: BatchTensors): Promise<BatchTensors> {
    const instance = this.instances.find((candidate) => candidate.state === 'ready' && !candidate.busy);
    if (instance?.session === undefined && this.failure !== undefined) throw this.failure;
    if (instance?.session === undefined) throw new Error('no free instance: a batch was launched without a permit');
    instance.busy = true;
    try {
      return await instance.session.run(batch);
    } finally {
      instance.busy = false;
      if (instance.state === 'draining') await this.release(instance);
    }
  }

  /** Grows or shrinks to `target` instances; new ones warm up before they count. */
  async scaleTo(target: number): Promise<void> {
    const from = this.size;
    if (target === from) return;
    if (target > from) {
      await Promise.all(Array.from({ length: target - from }, () => this.startInstance()));
      return;
    }
    // Idle instances leave first, so nothing waits for a running batch needlessly.
    const leaving = this.instances
      .filter((instance) => instance.state === 'ready' || instance.state === 'starting')
      .sort((a, b) => Number(a.busy) - Number(b.busy) || b.id - a.id)
      .slice(0, from - target);
    await Promise.all(leaving.map((instance) => this.drain(instance)));
  }

  stats(): InstancePoolStats {
    const count = (state: InstanceState) => this.instances.filter((instance) => instance.state === state).length;
    return {
      ready: count('ready'),
      starting: count('starting'),
      draining: count('draining'),
      busy: this.instances.filter((instance) => instance.busy).length,
      permits: this.permits,
    };
  }

  /** No instance is left and none will start: every batch from now on fails at once with `error`. */
  fail(error: Error): void {
    this.failure = error;
    this.options.onCapacity();
  }

  /** An instance started again after `fail`: batches run again. */
  recover(): void {
    this.failure = undefined;
    this.options.onCapacity();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    await Promise.all(this.instances.map((instance) => this.drain(instance)));
  }

  private readyCount(): number {
    return this.instances.filter((instance) => instance.state === 'ready').length;
  }

  private async startInstance(): Promise<void> {
    const instance: Instance = { id: this.nextId++, state: 'starting', busy: false, session: undefined };
    this.instances.push(instance);
    try {
      instance.session = await this.options.start();
    } catch (error) {
      this.remove(instance);
      throw error;
    }
    instance.session.onLost?.(() => this.lose(instance));
    if (instance.state === 'starting') {
      instance.state = 'ready';
      this.options.onCapacity();
    } else {
      // Scaled down while it was warming up: it never takes traffic.
      await this.release(instance);
    }
  }

  /** Its session died on its own: gone at once, and replaced unless it was leaving anyway. */
  private lose(instance: Instance): void {
    if (instance.state === 'closed') return;
    const replace = instance.state === 'ready';
    this.options.onLost?.({ replaced: replace });
    void this.release(instance);
    if (replace) this.replace(0);
  }

  /**
   * Starts a replacement, and when it fails (a disk gone, memory short) tries again after
   * a growing wait for as long as the pool is open: a model that lost its last instance
   * is failed (503) meanwhile, and serves again once one starts.
   */
  private replace(failures: number): void {
    if (this.closed) return;
    this.startInstance().then(
      () => {
        if (failures > 0) this.options.onReplaced?.();
      },
      (error: unknown) => {
        this.options.onReplacementFailed?.(error);
        if (this.closed) return;
        const { first, max } = this.options.replaceBackoffMs ?? DEFAULT_REPLACE_BACKOFF_MS;
        const timer = setTimeout(() => {
          this.retries.delete(timer);
          this.replace(failures + 1);
        }, Math.min(max, first * 2 ** failures));
        timer.unref();
        this.retries.add(timer);
      },
    );
  }

  private async drain(instance: Instance): Promise<void> {
    if (instance.state === 'closed') return;
    instance.state = 'draining';
    if (!instance.busy && instance.session !== undefined) await this.release(instance);
  }

  private async release(instance: Instance): Promise<void> {
    const session = instance.session;
    instance.state = 'closed';
    instance.session = undefined;
    this.remove(instance);
    await session?.release();
  }

  private remove(instance: Instance): void {
    const index = this.instances.indexOf(instance);
    if (index >= 0) this.instances.splice(index, 1);
  }
}
