/**
 * The SQL of the audit segments (audit-segments.ts), the same for both databases but for
 * how a parameter is spelled, and the reads both stores share: a query reads the segments
 * that may hold its records, in seq order, a few at a time, and stops once it has its limit.
 *
 * Which segments a query reads: with an actor, tenant or action, only those the key table
 * lists for that value (the first of them given drives the read, the others are checked
 * per segment); with `from`, none whose records are all older; with `afterSeq`, none
 * before the one holding the next seq. The records themselves are filtered after parsing.
 */
import {
  cutSegment,
  matchesQuery,
  recordsOf,
  segmentMismatch,
  type Segment,
  type SegmentColumns,
  type SegmentCut,
} from './audit-segments.ts';
import type { Placeholder } from './sql-placeholders.ts';
import { AuditSegmentError, type AuditQuery, type AuditRecord } from './store.ts';

/** A parameter: text, a number, or (PostgreSQL's unnest) an array of text. */
export type SqlValue = string | number | readonly string[];
/** Runs a SELECT with its parameters: a prepared SQLite statement, or the PostgreSQL pool. */
export type Select = <Row>(sql: string, params: readonly SqlValue[]) => Promise<Row[]>;

/** PostgreSQL hands BIGINT back as text (it may pass 2^53); a seq never gets that far, so `Number` is exact. */
export interface SegmentRow {
  readonly first_seq: number | string;
  readonly records: string;
}

export interface SegmentEndRow extends SegmentRow {
  readonly last_seq: number | string;
  readonly last_hash: string;
}

/** A segment with its key rows, as scannedSegmentsSql reads it. */
export interface ScannedRow extends SegmentEndRow {
  readonly min_time: string;
  readonly max_time: string;
  /** Its key rows as JSON text, `[[kind, value], …]`. */
  readonly keys: string;
}

/** How a store reads segments: its parameters, its SELECT, and how its SQL spells key rows as JSON. */
export interface SegmentReader {
  readonly placeholder: Placeholder;
  readonly select: Select;
  /** An aggregate over `audit_segment_keys k`: `[[kind, value], …]` as text, `[]` for no rows. */
  readonly keysJson: string;
}

/** Below every seq, as a starting point for reads in seq order. */
export const BEFORE_EVERY_SEQ = Number.MIN_SAFE_INTEGER;
/** Segments a query reads in its first round trip, doubled each round after, up to the most. */
const FIRST_QUERY_PAGE = 4;
const MOST_QUERY_PAGE = 64;

export const SEGMENT_COLUMNS = 'first_seq, last_seq, min_time, max_time, last_hash, records';

export const INSERT_SEGMENT_SQL = (p: Placeholder): string =>
  `INSERT INTO audit_segments (${SEGMENT_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(', ')})`;

/** In SEGMENT_COLUMNS order. */
export function segmentParams(segment: Segment): SqlValue[] {
  const { firstSeq, lastSeq, minTime, maxTime, lastHash, text } = segment;
  return [firstSeq, lastSeq, minTime, maxTime, lastHash, text];
}

/** The end of the chain, from the last segment's row alone (its records are not read). */
export const HEAD_SQL = 'SELECT last_seq, last_hash FROM audit_segments ORDER BY first_seq DESC LIMIT 1';

/** The segment a seq falls in, if any: the last to start at or before it. */
const segmentAt = (columns: string, p: Placeholder): string =>
  `SELECT ${columns} FROM audit_segments WHERE first_seq <= ${p(1)} ORDER BY first_seq DESC LIMIT 1`;

export const SEGMENT_AT_SQL = (p: Placeholder): string => segmentAt('first_seq, last_seq, last_hash, records', p);

/** How many records the segments starting at or before a seq hold (each segment's seqs run without a gap). */
export const RECORDS_UP_TO_SQL = (p: Placeholder): string =>
  `SELECT coalesce(sum(last_seq - first_seq + 1), 0) AS records FROM audit_segments WHERE first_seq <= ${p(1)}`;

export const DELETE_KEYS_UP_TO_SQL = (p: Placeholder): string =>
  `DELETE FROM audit_segment_keys WHERE first_seq <= ${p(1)}`;
export const DELETE_SEGMENTS_UP_TO_SQL = (p: Placeholder): string =>
  `DELETE FROM audit_segments WHERE first_seq <= ${p(1)}`;

export const CHECKPOINT_SQL = 'SELECT seq, hash, pruned_at, signature FROM audit_checkpoint WHERE id = 1';
export const SAVE_CHECKPOINT_SQL = (p: Placeholder): string =>
  `INSERT INTO audit_checkpoint (id, seq, hash, pruned_at, signature) VALUES (1, ${[1, 2, 3, 4].map(p).join(', ')})
   ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
     pruned_at = excluded.pruned_at, signature = excluded.signature`;

/**
 * Where a prune at `seq` cuts the segment `row` (SEGMENT_AT_SQL's): the hash at `seq` and
 * the records left after it. A segment ending at `seq` goes whole, unread.
 */
export function cutAt(row: SegmentEndRow | undefined, seq: number): SegmentCut {
  if (row === undefined || Number(row.last_seq) < seq) return { hashAtSeq: undefined, rest: undefined };
  if (Number(row.last_seq) === seq) return { hashAtSeq: row.last_hash, rest: undefined };
  return cutSegment(row.records, row.first_seq, seq);
}

/** The records `query` asks for, in stored (seq) order, reading no more segments than it needs. */
export async function queryRecords(query: AuditQuery, select: Select, p: Placeholder): Promise<AuditRecord[]> {
  const limit = Math.max(0, Math.floor(query.limit));
  if (limit === 0) return [];
  const start = await firstSegmentToRead(query, select, p);
  if (start === undefined) return [];
  const page = segmentPageSql(query, p);
  const keep = matchesQuery(query);
  const found: AuditRecord[] = [];
  let [cursor, count, lastFound] = [start, FIRST_QUERY_PAGE, BEFORE_EVERY_SEQ];
  for (;;) {
    const rows = await select<SegmentRow>(page.sql, [...page.params, cursor, count]);
    for (const row of rows) {
      for (const record of recordsOf(row.records, row.first_seq)) {
        // The reads share no snapshot: a prune between two rewrites the segment it cuts from a
        // later first_seq, which the cursor reaches again, and its records must not come twice.
        if (record.seq <= lastFound || !keep(record)) continue;
        found.push(record);
        lastFound = record.seq;
        if (found.length === limit) return found;
      }
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < count) return found;
    [cursor, count] = [Number(last.first_seq) + 1, Math.min(count * 2, MOST_QUERY_PAGE)];
  }
}

/**
 * Segments with their key rows, in seq order: those from first_seq parameter 1 on, and
 * with `upTo` only those starting at or before parameter 2; the last parameter is how many.
 * A segment and its key rows are read in one statement, so a prune committing meanwhile
 * cannot part them.
 */
export function scannedSegmentsSql({ placeholder: p, keysJson }: SegmentReader, upTo: boolean): string {
  const [bound, limit] = upTo ? [` AND s.first_seq <= ${p(2)}`, p(3)] : ['', p(2)];
  return `SELECT s.first_seq, s.last_seq, s.min_time, s.max_time, s.last_hash, s.records,
      (SELECT ${keysJson} FROM audit_segment_keys k WHERE k.first_seq = s.first_seq) AS keys
    FROM audit_segments s WHERE s.first_seq >= ${p(1)}${bound} ORDER BY s.first_seq LIMIT ${limit}`;
}

/**
 * A segment's records as stored (a line moved inside it comes out moved, for verification to
 * name), then AuditSegmentError if its columns or key rows disagree with them: thrown after,
 * so that a record's own fault is named first.
 */
export function* checkedRecords(row: ScannedRow): Generator<AuditRecord> {
  const records = recordsOf(row.records, row.first_seq);
  yield* records;
  const mismatch = segmentMismatch(columnsOf(row), records);
  if (mismatch !== undefined) throw new AuditSegmentError(mismatch.seq, mismatch.reason);
}

/** Every record, segment after segment (checkedRecords), about `pageSize` records a round trip. */
export async function* scanRecords(reader: SegmentReader, pageSize: number): AsyncGenerator<AuditRecord> {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new RangeError(`a page holds 1 record or more, not ${pageSize}`);
  }
  const sql = scannedSegmentsSql(reader, false);
  let [cursor, count, segmentsRead, recordsRead] = [BEFORE_EVERY_SEQ, 1, 0, 0];
  for (;;) {
    const rows = await reader.select<ScannedRow>(sql, [cursor, count]);
    for (const row of rows) {
      segmentsRead += 1;
      for (const record of checkedRecords(row)) {
        recordsRead += 1;
        yield record;
      }
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < count) return;
    cursor = Number(last.first_seq) + 1;
    // As many segments as hold about a page, judged by the segments read so far.
    count = Math.min(pageSize, Math.max(1, Math.round((pageSize * segmentsRead) / Math.max(1, recordsRead))));
  }
}

function columnsOf(row: ScannedRow): SegmentColumns {
  const keys: unknown = JSON.parse(row.keys);
  return {
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    minTime: row.min_time,
    maxTime: row.max_time,
    lastHash: row.last_hash,
    keys: (Array.isArray(keys) ? keys : []).map((pair: unknown) => {
      const [kind, value]: unknown[] = Array.isArray(pair) ? pair : [];
      return { kind: String(kind), value: String(value) };
    }),
  };
}

/** The first_seq to read from, or undefined when no segment can hold a record the query keeps. */
async function firstSegmentToRead(query: AuditQuery, select: Select, p: Placeholder): Promise<number | undefined> {
  let start = BEFORE_EVERY_SEQ;
  if (query.afterSeq !== undefined) {
    const holding = await select<{ first_seq: number | string }>(segmentAt('first_seq', p), [query.afterSeq + 1]);
    start = Math.max(start, Number(holding[0]?.first_seq ?? BEFORE_EVERY_SEQ));
  }
  if (query.from !== undefined) {
    // Times are not in seq order across replicas: the first segment with any record this new.
    const newer = await select<{ first_seq: number | string | null }>(
      `SELECT min(first_seq) AS first_seq FROM audit_segments WHERE max_time >= ${p(1)}`,
      [query.from],
    );
    const first = newer[0]?.first_seq;
    if (first === undefined || first === null) return undefined;
    start = Math.max(start, Number(first));
  }
  return start;
}

/** A page of the segments a query may find records in; its last two parameters are the first first_seq and the count. */
function segmentPageSql(query: AuditQuery, p: Placeholder): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const param = (value: SqlValue): string => (params.push(value), p(params.length));
  // The most telling key drives the read: an action like "inference" is in nearly every segment.
  const keys = (['actor', 'tenant', 'action'] as const).flatMap((kind) => {
    const value = query[kind];
    return value === undefined ? [] : [{ kind, value }];
  });
  const [driving, ...others] = keys;
  const conditions: string[] = [];
  let [from, order] = ['audit_segments s', 's.first_seq'];
  if (driving !== undefined) {
    [from, order] = ['audit_segment_keys k JOIN audit_segments s ON s.first_seq = k.first_seq', 'k.first_seq'];
    conditions.push(`k.kind = '${driving.kind}'`, `k.value = ${param(driving.value)}`);
  }
  for (const { kind, value } of others) {
    conditions.push(
      `EXISTS (SELECT 1 FROM audit_segment_keys o WHERE o.kind = '${kind}' AND o.value = ${param(value)}` +
        ` AND o.first_seq = s.first_seq)`,
    );
  }
  if (query.from !== undefined) conditions.push(`s.max_time >= ${param(query.from)}`);
  if (query.to !== undefined) conditions.push(`s.min_time < ${param(query.to)}`);
  conditions.push(`${order} >= ${p(params.length + 1)}`);
  const sql = `SELECT s.first_seq, s.records FROM ${from} WHERE ${conditions.join(' AND ')} ORDER BY ${order} LIMIT ${p(params.length + 2)}`;
  return { sql, params };
}
