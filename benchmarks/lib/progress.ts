/**
 * A progress bar for a scenario's rows, on stderr so the Markdown on stdout stays clean.
 * On a terminal it redraws in place four times a second, filling in the current row from
 * its planned duration; elsewhere (CI, a pipe) it prints one line per finished row.
 *
 *   overload [########------------]  8/20 rows  1m04s left  3x on
 */
import type { WriteStream } from 'node:tty';

const WIDTH = 24;
const REDRAW_MS = 250;

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

export class ProgressBar {
  private done = 0;
  private rowStarted = performance.now();
  private readonly started = performance.now();
  private current = '';
  private readonly timer: NodeJS.Timeout | undefined;

  /** `rowMs` is how long one row is planned to take, to fill the bar during a row. */
  constructor(
    private readonly label: string,
    private readonly rows: number,
    private readonly rowMs: number,
    private readonly output: ProgressOutput = process.stderr as WriteStream,
  ) {
    if (output.isTTY === true) {
      this.timer = setInterval(() => this.redraw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  /** A row starts; `what` names it (rate, side). */
  start(what: string): void {
    this.current = what;
    this.rowStarted = performance.now();
    this.redraw();
  }

  /** The row that started last is over; `result` is a one-line summary of it. */
  finish(result: string): void {
    this.done = Math.min(this.rows, this.done + 1);
    if (this.output.isTTY === true) {
      this.output.write(`\r\x1b[K  ${result}\n`);
      this.redraw();
    } else {
      this.output.write(`${this.line(this.done)}  ${result}\n`);
    }
  }

  /** Stops redrawing and clears the bar. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.output.isTTY === true) this.output.write('\r\x1b[K');
  }

  private redraw(): void {
    if (this.output.isTTY !== true) return;
    const inRow = Math.min(0.99, (performance.now() - this.rowStarted) / Math.max(1, this.rowMs));
    this.output.write(`\r\x1b[K${this.line(this.done + (this.done < this.rows ? inRow : 0))}  ${this.current}`);
  }

  /** The bar for `progress` rows done, with an estimate of the time left from the pace so far. */
  line(progress: number): string {
    const share = this.rows === 0 ? 1 : Math.min(1, progress / this.rows);
    const filled = Math.round(share * WIDTH);
    const elapsedMs = performance.now() - this.started;
    const leftMs = progress > 0 ? (elapsedMs / progress) * (this.rows - progress) : this.rows * this.rowMs;
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(progress)}/${this.rows} rows  ${formatDuration(leftMs)} left`;
  }
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
