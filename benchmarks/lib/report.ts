/** Benchmark output: Markdown tables for people, JSON files in `.bench-results/` for later comparison. */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from './server-process.ts';

export const RESULTS_DIR = join(REPOSITORY_ROOT, '.bench-results');

export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => string;
  /** Numbers read better right-aligned. */
  readonly align?: 'left' | 'right';
}

export function markdownTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const escape = (text: string) => text.replaceAll('|', '\\|');
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = columns.map((column) => (column.align === 'right' ? '---:' : '---'));
  return [
    line(columns.map((column) => escape(column.header))),
    line(rule),
    ...rows.map((row) => line(columns.map((column) => escape(column.cell(row))))),
  ].join('\n');
}

/** Writes `<dir>/<scenario>-<timestamp>.json` and returns its path. */
export async function writeResults(scenario: string, results: unknown, dir = RESULTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const path = join(dir, `${scenario}-${stamp}.json`);
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** Milliseconds with precision that suits their size: 0.42, 4.2, 42, 420. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : perSecond.toFixed(0);
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function formatBytes(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** The facts a reader needs to judge a result: machine, its load, runtime and code version. */
export function environmentFacts(root = REPOSITORY_ROOT): Record<string, string | number> {
  return {
    revision: gitRevision(root),
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    freeMemoryMb: Math.round(freemem() / 1024 / 1024),
  };
}

/** `HEAD`'s short hash, `-dirty` when the work tree differs from it (read-only git calls). */
export function gitRevision(root: string): string {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !==
      '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
