/**
 * Tumbling windows of sketches per key (a model's feature, say): the open window being filled
 * and the one closed just before it, which is what a drift report reads.
 *
 *   time windows of 60 s:   [ 12:00 – 12:01 closed ][ 12:01 – now open ]
 *   item windows of 10 000: [ 10 000 items closed   ][ 3 412 items open ]
 *
 * Time windows are aligned on multiples of their length on the wall clock, so replicas' windows
 * cover the same span and their closed sketches can be merged later. If a whole window passes
 * with nothing recorded, the closed window is an empty one (items 0), not an older stale one.
 * The number of keys is bounded: a new key past `maxKeys` first evicts keys idle for two
 * windows (time windows only) and is otherwise refused, counted in `stats().refusedKeys`.
 */
import type { NowSource } from '../../core/clock.ts';

export type WindowSpec =
  { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'items'; readonly items: number };

export interface SketchWindow<S> {
  readonly sketch: S;
  /** Time windows: the aligned start; item windows: when the first item came (or the window opened). */
  readonly startMs: number;
  /** Time windows: start + length; item windows: when the last item came. Undefined while open. */
  readonly endMs: number | undefined;
  /** Records applied to this window's sketch. */
  readonly items: number;
}

export interface SketchWindowsOptions<S> {
  readonly window: WindowSpec;
  readonly maxKeys: number;
  /** A fresh, empty sketch for a key's new window. */
  readonly create: (key: string) => S;
  /** Wall-clock milliseconds; defaults to Date.now so windows align across replicas. */
  readonly clock?: NowSource;
}

export interface SketchWindowsStats {
  readonly keys: number;
  readonly maxKeys: number;
  /** Records refused because the key table was full. */
  readonly refusedKeys: number;
  /** Keys dropped for being idle, to make room. */
  readonly evictedKeys: number;
}

interface Slot<S> {
  current: SketchWindow<S>;
  previous: SketchWindow<S> | undefined;
}

/** Start of the time window that holds `nowMs`: windows are [n·ms, (n+1)·ms). */
export function windowStart(ms: number, nowMs: number): number {
  return Math.floor(nowMs / ms) * ms;
}

const wallClock: NowSource = { now: () => Date.now() };

export class SketchWindows<S> {
  private readonly slots = new Map<string, Slot<S>>();
  private readonly clock: NowSource;
  private refused = 0;
  private evicted = 0;

  constructor(private readonly options: SketchWindowsOptions<S>) {
    const spec = options.window;
    const length = spec.kind === 'time' ? spec.ms : spec.items;
    if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`window length must be a positive integer`);
    if (!(Number.isInteger(options.maxKeys) && options.maxKeys > 0)) throw new RangeError('maxKeys must be positive');
    this.clock = options.clock ?? wallClock;
  }

  /** Applies `update` to the key's open window; false when the key is new and there is no room for it. */
  record(key: string, update: (sketch: S) => void): boolean {
    const now = this.clock.now();
    const slot = this.slots.get(key) ?? this.admit(key, now);
    if (slot === undefined) return false;
    this.roll(key, slot, now);
    update(slot.current.sketch);
    slot.current = { ...slot.current, items: slot.current.items + 1 };
    const spec = this.options.window;
    if (spec.kind === 'items' && slot.current.items >= spec.items) {
      slot.previous = { ...slot.current, endMs: now };
      slot.current = this.open(key, now);
    }
    return true;
  }

  /** The window being filled, or undefined for a key never recorded. */
  current(key: string): SketchWindow<S> | undefined {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.roll(key, slot, this.clock.now());
    return slot?.current;
  }

  /** The window closed just before the open one: what a report reads. Undefined until one has closed. */
  previous(key: string): SketchWindow<S> | undefined {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.roll(key, slot, this.clock.now());
    return slot?.previous;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  stats(): SketchWindowsStats {
    const { maxKeys } = this.options;
    return { keys: this.slots.size, maxKeys, refusedKeys: this.refused, evictedKeys: this.evicted };
  }

  private admit(key: string, now: number): Slot<S> | undefined {
    if (this.slots.size >= this.options.maxKeys) this.evictIdle(now);
    if (this.slots.size >= this.options.maxKeys) {
      this.refused++;
      return undefined;
    }
    const slot: Slot<S> = { current: this.open(key, now), previous: undefined };
    this.slots.set(key, slot);
    return slot;
  }

  private open(key: string, now: number): SketchWindow<S> {
    const spec = this.options.window;
    const startMs = spec.kind === 'time' ? windowStart(spec.ms, now) : now;
    return { sketch: this.options.create(key), startMs, endMs: undefined, items: 0 };
  }

  /** Closes a time window whose span has passed; a gap of a whole window leaves an empty closed one. */
  private roll(key: string, slot: Slot<S>, now: number): void {
    const spec = this.options.window;
    if (spec.kind !== 'time') return;
    const start = windowStart(spec.ms, now);
    // A wall clock stepped back keeps filling the open window rather than reopening an old one.
    if (start <= slot.current.startMs) return;
    const previousStart = start - spec.ms;
    slot.previous =
      previousStart === slot.current.startMs
        ? { ...slot.current, endMs: start }
        : { sketch: this.options.create(key), startMs: previousStart, endMs: start, items: 0 };
    slot.current = { sketch: this.options.create(key), startMs: start, endMs: undefined, items: 0 };
  }

  /** Keys with nothing in either window (idle for two time windows) make room for new ones. */
  private evictIdle(now: number): void {
    const spec = this.options.window;
    if (spec.kind !== 'time') return;
    const idleBefore = windowStart(spec.ms, now) - spec.ms;
    for (const [key, slot] of this.slots) {
      if (slot.current.startMs < idleBefore) {
        this.slots.delete(key);
        this.evicted++;
      }
    }
  }
}
