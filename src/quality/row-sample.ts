/**
 * A uniform sample of a window's rows, of fixed size whatever the window's length
 * (reservoir sampling, Vitter's Algorithm R): a live window's rows can become a reference
 * profile. The caller asks `slot()` first, so an item that is not kept costs a counter and,
 * past the first `size` items, one draw: its values are read anyway for the sketches, and
 * only kept ones are copied. Seeded, so the same stream keeps the same rows.
 */
import { createRng, type Rng } from '../core/seeded-rng.ts';

export class RowSample<Row> {
  readonly #rows: Row[] = [];
  #seen = 0;
  readonly #rng: Rng;

  constructor(
    readonly size: number,
    seed = 1,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a row sample keeps 1 row or more, not ${size}`);
    this.#rng = createRng(seed);
  }

  /** Where the next item goes (then `put` it there), or undefined when it is not kept. */
  slot(): number | undefined {
    this.#seen += 1;
    if (this.#rows.length < this.size) return this.#rows.length;
    const slot = this.#rng.int(this.#seen);
    return slot < this.size ? slot : undefined;
  }

  put(slot: number, row: Row): void {
    this.#rows[slot] = row;
  }

  /** The rows kept: every item's while fewer than `size` were seen, else a uniform `size` of them. */
  get rows(): readonly Row[] {
    return this.#rows;
  }

  /** Items offered so far. */
  get seen(): number {
    return this.#seen;
  }
}
