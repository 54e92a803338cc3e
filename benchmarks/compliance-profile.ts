/**
 * Where the servers of a `compliance` run spent their main thread, per 2xx answered: each
 * variant's CPU profile by self time in five parts (the audit log's code, the redactor, the
 * SHA-256 calls, the garbage collector, the rest), then the functions whose self time per
 * request grew most against the baseline's.
 *
 *   npm run bench -- compliance --compliance-variants audit --compliance-cpu-prof /tmp/prof
 *   node --import tsx benchmarks/compliance-profile.ts /tmp/prof .bench-results/compliance-<time>.json
 *
 * A profile covers the process's whole life (start-up, warm-up, the quiet waits), divided
 * here by every 2xx it answered. Samples are wall time while the main thread was not idle:
 * on one core, time it waited for the model's worker thread is charged to what it was doing.
 * The worker threads write no profile.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { markdownTable, type Column } from './lib/report.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const PARTS = ['audit log', 'redactor', 'sha-256', 'garbage collector', 'rest'] as const;
type Part = (typeof PARTS)[number];

/** src/audit, the inference record and the SQLite store as compiled into dist/, and better-sqlite3. */
const AUDIT_FILES = /\/dist\/(audit\/|observe\/inference-audit\.js|state\/(sqlite-store|rows|store-rules)\.js)/;

function partOf(frame: ProfileNode['callFrame']): Part | 'idle' {
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  if (AUDIT_FILES.test(frame.url) || frame.url.includes('node_modules/better-sqlite3/')) return 'audit log';
  if (frame.url.includes('/dist/observe/redact/')) return 'redactor';
  if (frame.url === 'node:internal/crypto/hash') return 'sha-256';
  return 'rest';
}

interface Spent {
  readonly byPart: ReadonlyMap<Part, number>;
  readonly byFunction: ReadonlyMap<string, number>;
}

/** Microseconds of self time by part and by function. */
function spentIn(profile: CpuProfile): Spent {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byPart = new Map<Part, number>();
  const byFunction = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id);
    const part = frame === undefined ? 'rest' : partOf(frame);
    if (part === 'idle') return;
    const delta = profile.timeDeltas[index] ?? 0;
    byPart.set(part, (byPart.get(part) ?? 0) + delta);
    const name =
      frame === undefined
        ? '(unknown)'
        : `${frame.functionName || '(anonymous)'} ${basename(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  return { byPart, byFunction };
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    Array.isArray(candidate['nodes']) && Array.isArray(candidate['samples']) && Array.isArray(candidate['timeDeltas'])
  );
}

async function readProfile(dir: string): Promise<CpuProfile> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  const parsed: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${join(dir, file)} is not a V8 CPU profile`);
  return parsed;
}

async function answeredOf(resultsPath: string): Promise<Record<string, number>> {
  const parsed: unknown = JSON.parse(await readFile(resultsPath, 'utf8'));
  const answered =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['answered2xx'] : undefined;
  if (typeof answered !== 'object' || answered === null) throw new Error(`${resultsPath} has no answered2xx`);
  return Object.fromEntries(
    Object.entries(answered).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

interface VariantSpent {
  readonly variant: string;
  readonly answered: number;
  readonly spent: Spent;
}

const perRequest = (microseconds: number, answered: number) => (microseconds / answered).toFixed(1);

function partsTable(variants: readonly VariantSpent[]): string {
  const columns: Column<VariantSpent>[] = [
    { header: 'variant', cell: (row) => row.variant },
    { header: '2xx', cell: (row) => String(row.answered), align: 'right' },
    ...PARTS.map((part): Column<VariantSpent> => ({
      header: `${part} µs`,
      cell: (row) => perRequest(row.spent.byPart.get(part) ?? 0, row.answered),
      align: 'right',
    })),
    {
      header: 'busy µs',
      cell: (row) =>
        perRequest(
          [...row.spent.byPart.values()].reduce((a, b) => a + b, 0),
          row.answered,
        ),
      align: 'right',
    },
  ];
  return markdownTable(columns, variants);
}

function growthLines(baseline: VariantSpent, variant: VariantSpent, top = 15): string {
  const names = new Set([...baseline.spent.byFunction.keys(), ...variant.spent.byFunction.keys()]);
  const rows = [...names].map((name) => {
    const before = (baseline.spent.byFunction.get(name) ?? 0) / baseline.answered;
    const after = (variant.spent.byFunction.get(name) ?? 0) / variant.answered;
    return { name, before, after };
  });
  rows.sort((a, b) => b.after - b.before - (a.after - a.before));
  return rows
    .slice(0, top)
    .map(
      (row) =>
        `  +${(row.after - row.before).toFixed(2)} µs  (${row.before.toFixed(2)} → ${row.after.toFixed(2)})  ${row.name}`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const [dir, resultsPath] = process.argv.slice(2);
  if (dir === undefined || resultsPath === undefined) {
    console.error('usage: node --import tsx benchmarks/compliance-profile.ts <profile dir> <results json>');
    process.exitCode = 2;
    return;
  }
  const answered = await answeredOf(resultsPath);
  const variants: VariantSpent[] = [];
  for (const [variant, count] of Object.entries(answered)) {
    if (count > 0) variants.push({ variant, answered: count, spent: spentIn(await readProfile(join(dir, variant))) });
  }
  console.log(`Main thread, self time per 2xx answered (whole life)\n\n${partsTable(variants)}\n`);
  const baseline = variants.find((variant) => variant.variant === 'baseline');
  if (baseline === undefined) return;
  for (const variant of variants.filter((each) => each !== baseline))
    console.log(
      `${variant.variant}: self time per request, largest growth over the baseline\n${growthLines(baseline, variant)}\n`,
    );
}

await main();
