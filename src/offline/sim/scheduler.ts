/**
 * A continuous-batching scheduler in miniature: up to `maxNumSeqs` sequences run at
 * once, the rest wait FIFO in a bounded queue. A running sequence first pays a prefill
 * (which ends with its first token), then one decode step per further token; both grow
 * with the number of sequences running when the step begins (see latency-model.ts).
 *
 * It is driven only by its `Clock`, so unit tests step a `FakeClock` and read `stats()`.
 * Each sequence keeps its own timer: steps of different sequences are not aligned as on
 * a real accelerator, which is close enough for latency under load and much simpler.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { decodeTimeMs, prefillTimeMs, type LatencyConfig } from './latency-model.ts';

export interface SchedulerConfig {
  maxNumSeqs: number;
  /** Sequences that may wait beyond the running ones; one more is refused. */
  maxQueue: number;
  latency: LatencyConfig;
}

export interface SequenceSpec {
  promptTokens: number;
  /** Tokens to emit, at least 1. */
  completionTokens: number;
  /** The model's latency multiplier. */
  cost: number;
  onToken(index: number): void;
  onDone(): void;
}

export interface SequenceHandle {
  /** Frees the sequence's slot (or queue place); no further callbacks. Idempotent. */
  cancel(): void;
}

export type SubmitVerdict =
  { accepted: true; sequence: SequenceHandle } | { accepted: false; reason: 'queue_full'; retryAfterS: number };

export interface SchedulerStats {
  running: number;
  queued: number;
  completed: number;
  cancelled: number;
  rejected: number;
  tokens_generated: number;
  /** Mean time from submission (queueing included) to first token, of sequences that got one. */
  mean_ttft_ms: number;
  /** Mean time between consecutive tokens of a sequence. */
  mean_inter_token_ms: number;
}

interface Sequence {
  readonly spec: SequenceSpec;
  readonly submittedMs: number;
  state: 'queued' | 'running' | 'finished';
  emitted: number;
  lastTokenMs: number;
  timer?: TimerHandle;
}

const QUEUE_FULL_RETRY_AFTER_S = 1;

export class SequenceScheduler {
  private readonly queue: Sequence[] = [];
  private readonly running = new Set<Sequence>();
  private readonly counters = {
    completed: 0,
    cancelled: 0,
    rejected: 0,
    tokens: 0,
    ttftSum: 0,
    ttftCount: 0,
    gapSum: 0,
    gapCount: 0,
  };

  constructor(
    private readonly clock: Clock,
    private readonly config: SchedulerConfig,
  ) {}

  /** Changes latencies for steps that start from now on (a step in flight keeps its time). */
  setLatency(update: Partial<LatencyConfig>): void {
    Object.assign(this.config.latency, update);
  }

  submit(spec: SequenceSpec): SubmitVerdict {
    if (this.running.size >= this.config.maxNumSeqs && this.queue.length >= this.config.maxQueue) {
      this.counters.rejected++;
      return { accepted: false, reason: 'queue_full', retryAfterS: QUEUE_FULL_RETRY_AFTER_S };
    }
    const sequence: Sequence = { spec, submittedMs: this.clock.now(), state: 'queued', emitted: 0, lastTokenMs: 0 };
    if (this.running.size < this.config.maxNumSeqs) this.start(sequence);
    else this.queue.push(sequence);
    return { accepted: true, sequence: { cancel: () => this.cancel(sequence) } };
  }

  stats(): SchedulerStats {
    const c = this.counters;
    return {
      running: this.running.size,
      queued: this.queue.length,
      completed: c.completed,
      cancelled: c.cancelled,
      rejected: c.rejected,
      tokens_generated: c.tokens,
      mean_ttft_ms: c.ttftCount === 0 ? 0 : c.ttftSum / c.ttftCount,
      mean_inter_token_ms: c.gapCount === 0 ? 0 : c.gapSum / c.gapCount,
    };
  }

  private start(sequence: Sequence): void {
    sequence.state = 'running';
    this.running.add(sequence);
    const delay = prefillTimeMs(this.config.latency, sequence.spec.promptTokens, this.running.size, sequence.spec.cost);
    sequence.timer = this.clock.setTimer(() => this.emit(sequence), delay);
  }

  private emit(sequence: Sequence): void {
    const now = this.clock.now();
    const c = this.counters;
    if (sequence.emitted === 0) {
      c.ttftSum += now - sequence.submittedMs;
      c.ttftCount++;
    } else {
      c.gapSum += now - sequence.lastTokenMs;
      c.gapCount++;
    }
    sequence.lastTokenMs = now;
    const index = sequence.emitted++;
    c.tokens++;
    sequence.spec.onToken(index);
    if (sequence.state !== 'running') return; // cancelled from inside onToken
    if (sequence.emitted >= sequence.spec.completionTokens) {
      this.finish(sequence);
      c.completed++;
      sequence.spec.onDone();
      return;
    }
    const delay = decodeTimeMs(this.config.latency, this.running.size, sequence.spec.cost);
    sequence.timer = this.clock.setTimer(() => this.emit(sequence), delay);
  }

  private cancel(sequence: Sequence): void {
    if (sequence.state === 'finished') return;
    if (sequence.state === 'queued') this.queue.splice(this.queue.indexOf(sequence), 1);
    this.counters.cancelled++;
    this.finish(sequence);
  }

  /** Leaves the running set (or queue) and hands the slot to the oldest waiting sequence. */
  private finish(sequence: Sequence): void {
    const wasRunning = sequence.state === 'running';
    sequence.state = 'finished';
    if (sequence.timer !== undefined) this.clock.clearTimer(sequence.timer);
    if (!wasRunning) return;
    this.running.delete(sequence);
    const next = this.queue.shift();
    if (next !== undefined) this.start(next);
  }
}
