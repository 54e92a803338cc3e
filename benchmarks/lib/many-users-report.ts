/**
 * The tables and notes of many-users: every row as measured (rounds not merged, so the
 * run-to-run noise shows), sluice ÷ direct ratios round by round, and plain-language notes
 * on whatever should worry a reader (failures, streams that never were concurrent, memory
 * per stream, a generator that fell behind).
 */
import type { UsersRecord } from './many-users-rows.ts';
import { formatRatio, median, pairRatios } from './ratios.ts';
import { formatBytes, formatMs, markdownTable, type Column } from './report.ts';

export function errorsText(record: UsersRecord): string {
  const kinds = Object.entries(record.summary.errors).map(([kind, count]) => `${kind} ${count}`);
  return kinds.length === 0 ? '0' : kinds.join(', ');
}

/** The share of N that must have been open at once for a per-stream figure to mean anything. */
const CONCURRENT_ENOUGH = 0.95;

/**
 * A process's peak RSS above its RSS when idle at start, per stream open at the peak.
 * Measured from the idle start, not from just before the row: V8 keeps the heap an
 * earlier row grew, so a second round's growth would be near zero. An upper bound (garbage
 * not yet collected counts). Undefined without a figure, or when fewer than 95 % of the
 * users were ever open at once (refused users' sockets would be charged to the few streams).
 */
export function rssPerStreamBytes(record: UsersRecord, label: string): number | undefined {
  const memory = record.memory[label];
  if (
    memory?.idleBytes === undefined ||
    memory.peakBytes === undefined ||
    record.summary.peakOpen < record.users * CONCURRENT_ENOUGH
  )
    return undefined;
  return Math.max(0, memory.peakBytes - memory.idleBytes) / record.summary.peakOpen;
}

function kilobytes(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
}

function peakRss(record: UsersRecord, label: string): string {
  const memory = record.memory[label];
  if (memory === undefined) return '–';
  const growth =
    memory.peakBytes === undefined || memory.beforeBytes === undefined
      ? ''
      : ` (+${formatBytes(Math.max(0, memory.peakBytes - memory.beforeBytes))})`;
  return `${formatBytes(memory.peakBytes)}${growth}`;
}

/** CPU time a process spent during the row, per user: what each stream costs it, set-up and relaying together. */
function cpuMsPerStream(record: UsersRecord, label: string): string {
  const value = record.cpu[label];
  return value === undefined ? '–' : ((value * record.cpuWindowS * 1000) / record.users).toFixed(2);
}

function cores(record: UsersRecord, label: string): string {
  const value = record.cpu[label];
  return value === undefined ? '–' : value.toFixed(2);
}

export function rowsTable(records: readonly UsersRecord[]): string {
  const columns: Column<UsersRecord>[] = [
    { header: 'users', cell: (row) => String(row.users), align: 'right' },
    { header: 'round', cell: (row) => String(row.round), align: 'right' },
    { header: 'side', cell: (row) => row.side },
    { header: 'peak open', cell: (row) => String(row.summary.peakOpen), align: 'right' },
    { header: 'completed', cell: (row) => String(row.summary.completed), align: 'right' },
    { header: 'failed', cell: errorsText },
    { header: 'TTFT p50', cell: (row) => formatMs(row.summary.ttft.p50Ms), align: 'right' },
    { header: 'TTFT p99', cell: (row) => formatMs(row.summary.ttft.p99Ms), align: 'right' },
    { header: 'TTFT p99.9', cell: (row) => formatMs(row.summary.ttft.p999Ms), align: 'right' },
    { header: 'stream p50', cell: (row) => formatMs(row.summary.duration.p50Ms), align: 'right' },
    { header: 'stream p99', cell: (row) => formatMs(row.summary.duration.p99Ms), align: 'right' },
    { header: 'sim peak RSS', cell: (row) => peakRss(row, 'sim'), align: 'right' },
    { header: 'sluice peak RSS', cell: (row) => peakRss(row, 'sluice'), align: 'right' },
    {
      header: 'RSS / stream sim, sluice',
      cell: (row) =>
        ['sim', 'sluice']
          .map((label) => (row.memory[label] === undefined ? '–' : kilobytes(rssPerStreamBytes(row, label))))
          .join(', '),
      align: 'right',
    },
    {
      header: 'TTFT mean (client / sluice-measured)',
      cell: (row) =>
        `${formatMs(row.summary.ttft.meanMs)} / ${row.gateway?.ttftMeanMs === undefined ? '–' : formatMs(row.gateway.ttftMeanMs)}`,
      align: 'right',
    },
    {
      header: 'sluice loop lag max / GC',
      cell: (row) =>
        row.gateway === undefined
          ? '–'
          : `${row.gateway.loopLagMaxMs === undefined ? 'n/a' : formatMs(row.gateway.loopLagMaxMs)} / ${formatMs(row.gateway.gcSeconds * 1000)}`,
      align: 'right',
    },
    {
      header: 'sluice admission limit after',
      cell: (row) => (row.gateway?.limitAfter === undefined ? '–' : String(row.gateway.limitAfter)),
      align: 'right',
    },
    {
      header: 'CPU ms / stream sim, sluice',
      cell: (row) => `${cpuMsPerStream(row, 'sim')}, ${cpuMsPerStream(row, 'sluice')}`,
      align: 'right',
    },
    {
      header: 'CPU sim / sluice / client / other',
      cell: (row) => ['sim', 'sluice', 'client', 'other'].map((label) => cores(row, label)).join(' / '),
      align: 'right',
    },
    { header: 'send lag p99', cell: (row) => formatMs(row.summary.sendLag.p99Ms), align: 'right' },
  ];
  return `${markdownTable(columns, records)}\n\nTimes in ms from each user's intended arrival: TTFT to the first content token, stream to \`[DONE]\` (completed streams only). Peak open: streams with 200 headers and no end yet, at the most. Peak RSS sampled every 100 ms, (+ growth from just before the row); per stream: peak above the process's idle RSS at start, divided by the peak open (an upper bound: uncollected garbage counts). CPU in cores over the row (other: the rest of the machine, neighbours included), and CPU ms per user.`;
}

export function ratioTable(records: readonly UsersRecord[]): string {
  const spec = { a: 'direct', b: 'sluice', group: (record: UsersRecord) => record.users } as const;
  const ttft99 = pairRatios(records, { ...spec, value: (record) => record.summary.ttft.p99Ms });
  const ttft50 = pairRatios(records, { ...spec, value: (record) => record.summary.ttft.p50Ms });
  const stream99 = pairRatios(records, { ...spec, value: (record) => record.summary.duration.p99Ms });
  const rows = ttft99.map((summary) => {
    const rowsOf = (side: string) => records.filter((record) => record.side === side && record.users === summary.group);
    const perStream = (side: string, label: string) =>
      median(
        rowsOf(side)
          .flatMap((record) => rssPerStreamBytes(record, label) ?? [])
          .sort((x, y) => x - y),
      );
    const group = (each: { readonly group: number | string }) => each.group === summary.group;
    return {
      users: summary.group,
      ttft99: summary,
      ttft50: ttft50.find(group),
      stream99: stream99.find(group),
      simPerStream: perStream('direct', 'sim'),
      sluicePerStream: perStream('sluice', 'sluice'),
      failed: rowsOf('sluice').reduce((sum, record) => sum + record.summary.failed, 0),
    };
  });
  type Row = (typeof rows)[number];
  const ratio = (pick: (row: Row) => Parameters<typeof formatRatio>[0] | undefined) => (row: Row) => {
    const summary = pick(row);
    return summary === undefined ? 'n/a' : formatRatio(summary);
  };
  const columns: Column<Row>[] = [
    { header: 'users', cell: (row) => String(row.users), align: 'right' },
    { header: 'TTFT p99 sluice ÷ direct', cell: ratio((row) => row.ttft99), align: 'right' },
    { header: 'TTFT p50 sluice ÷ direct', cell: ratio((row) => row.ttft50), align: 'right' },
    { header: 'stream p99 sluice ÷ direct', cell: ratio((row) => row.stream99), align: 'right' },
    {
      header: 'RSS / stream, median: sim (direct), sluice',
      cell: (row) => `${kilobytes(row.simPerStream)}, ${kilobytes(row.sluicePerStream)}`,
      align: 'right',
    },
    { header: 'sluice failed (all rounds)', cell: (row) => String(row.failed), align: 'right' },
  ];
  return `${markdownTable(columns, rows)}\n\nRatios are taken within each round, then summarised: median (min–max over rounds).`;
}

/** A client TTFT this much above sluice's own figure is worth a note. */
const WAIT_BEFORE_HANDLER_MS = 100;

/** What a reader should not miss; empty when nothing stands out. */
export function notes(records: readonly UsersRecord[], generatorLagMs = 50): string[] {
  return records.flatMap((record) =>
    recordNotes(record, generatorLagMs).map(
      (line) => `${record.users} users, round ${record.round}, ${record.side}: ${line}`,
    ),
  );
}

function recordNotes(record: UsersRecord, generatorLagMs: number): string[] {
  const { summary } = record;
  const lines: string[] = [];
  if (summary.failed > 0)
    lines.push(
      `${summary.failed} of ${record.users} streams failed (${errorsText(record)}); its TTFT and stream figures cover only the streams that got that far`,
    );
  if (summary.peakOpen < record.users * CONCURRENT_ENOUGH)
    lines.push(`at most ${summary.peakOpen} of ${record.users} streams were open at once`);
  const late = summary.sendLag.p99Ms > generatorLagMs;
  if (late)
    lines.push(
      `the generator sent late (send lag p99 ${formatMs(summary.sendLag.p99Ms)} ms): it, not the server, may be the bottleneck`,
    );
  const refused = Object.entries(record.gateway?.refusedByGuard ?? {}).filter(([, count]) => count > 0);
  if (refused.length > 0)
    lines.push(
      `sluice's admission gate refused ${refused.map(([guard, count]) => `${count} (${guard})`).join(', ')}; its limit ended at ${record.gateway?.limitAfter ?? 'n/a'}`,
    );
  const inside = record.gateway?.ttftMeanMs;
  if (inside !== undefined && summary.ttft.meanMs - inside > WAIT_BEFORE_HANDLER_MS) {
    const why = late
      ? 'the generator sending late, or sluice not reading its sockets'
      : "the accept queue or unread sockets: sluice's event loop or CPU was short";
    lines.push(
      `mean TTFT ${formatMs(summary.ttft.meanMs)} ms at the client, ${formatMs(inside)} ms as sluice measures it: the rest passed before sluice's handler ran (${why})`,
    );
  }
  if (!record.idleReached)
    lines.push(`the simulator was not idle before the row (waited ${formatMs(record.idleBeforeMs)} ms)`);
  return lines;
}
