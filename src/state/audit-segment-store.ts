/**
 * A store's audit methods over segments (audit-segments.ts), written once for both databases.
 * A dialect gives how it reads, how it reads a snapshot, how it writes a segment and its
 * transaction; the chain's logic (seal from the head, prune through a segment, scan one
 * snapshot) is here.
 *
 * The writes are generators of statements, each resumed with the rows its statement read, so
 * one body runs synchronously inside a better-sqlite3 transaction (which cannot await) and a
 * round trip at a time inside a PostgreSQL one:
 *
 *   pruneSteps ──yield { sql, params }──▶ dialect.write ──runs it──▶ rows ──next(rows)──▶ pruneSteps …
 */
import {
  BEFORE_EVERY_SEQ,
  CHECKPOINT_SQL,
  DELETE_KEYS_UP_TO_SQL,
  DELETE_SEGMENTS_UP_TO_SQL,
  HEAD_SQL,
  RECORDS_UP_TO_SQL,
  SAVE_CHECKPOINT_SQL,
  SEGMENT_AT_SQL,
  checkedRecords,
  cutAt,
  queryRecords,
  scanRecords,
  scannedSegmentsSql,
  type ScannedRow,
  type Select,
  type SegmentEndRow,
  type SegmentReader,
  type SqlValue,
} from './audit-segment-sql.ts';
import { segmentOf, type Segment } from './audit-segments.ts';
import { checkpointFromRow, type CheckpointRow } from './rows.ts';
import { checkPrune, checkSealed } from './store-rules.ts';
import type {
  AuditCheckpoint,
  AuditRecord,
  AuditSnapshot,
  ChainHead,
  CheckPruned,
  SealEntries,
  SealedRecord,
  Store,
} from './store.ts';

export type AuditMethods = Pick<
  Store,
  'appendAudit' | 'queryAudit' | 'auditSnapshot' | 'auditCheckpoint' | 'pruneAudit' | 'auditHead'
>;

export interface Statement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

type Rows = readonly object[];

/** Statements run in order, each resumed with the rows it read (none for a write), returning T. */
export type Steps<T> = Generator<Statement, T, Rows>;

/** Reads that all see the database as it stood at the first of them, until closed; writers go on meanwhile. */
export interface ReadSnapshot {
  readonly select: Select;
  readonly close: () => Promise<void>;
}

/** A database's side: how it reads (outside any transaction, or in a snapshot), writes a segment, and runs a write. */
export interface AuditDialect extends SegmentReader {
  /** Runs the steps in one transaction that holds the chain's lock from its first read to its commit. */
  readonly write: <T>(steps: Steps<T>) => Promise<T>;
  /** The statements that insert a segment's row and its key rows. */
  readonly insertSegment: (segment: Segment) => readonly Statement[];
  /** Opens reads of one snapshot, on a connection of their own. */
  readonly snapshot: () => Promise<ReadSnapshot>;
}

/** Runs steps synchronously: SQLite's transactions. */
export function runSteps<T>(steps: Steps<T>, run: (statement: Statement) => Rows): T {
  let step = steps.next([]);
  while (step.done !== true) step = steps.next(run(step.value));
  return step.value;
}

/** Runs steps one statement at a time: PostgreSQL's, and reads outside a transaction. */
export async function runStepsAsync<T>(steps: Steps<T>, run: (statement: Statement) => Promise<Rows>): Promise<T> {
  let step = steps.next([]);
  while (step.done !== true) step = steps.next(await run(step.value));
  return step.value;
}

export function segmentAudit(dialect: AuditDialect): AuditMethods {
  const { placeholder: p, select, write } = dialect;
  const read = <T>(steps: Steps<T>): Promise<T> => readSteps(steps, select);
  return {
    appendAudit: (seal) => write(appendSteps(seal, dialect)),
    queryAudit: (query) => queryRecords(query, select, p),
    auditSnapshot: (use) => inSnapshot(dialect, use),
    auditCheckpoint: () => read(checkpointSteps()),
    pruneAudit: (next, check) => write(pruneSteps(next, check, dialect)),
    auditHead: () => read(headSteps()),
  };
}

function readSteps<T>(steps: Steps<T>, select: Select): Promise<T> {
  return runStepsAsync(steps, (statement) => select(statement.sql, statement.params));
}

/**
 * Opens a snapshot, reads the checkpoint in it and hands both to `read`; once `read` settles
 * the snapshot is closed, and a scan still reading from it fails rather than read elsewhere.
 */
async function inSnapshot<T>(dialect: AuditDialect, read: (snapshot: AuditSnapshot) => Promise<T>): Promise<T> {
  const reads = await dialect.snapshot();
  let open = true;
  const select: Select = <Row>(sql: string, params: readonly SqlValue[]) =>
    open ? reads.select<Row>(sql, params) : Promise.reject(new Error(SNAPSHOT_CLOSED));
  try {
    const checkpoint = await readSteps(checkpointSteps(), select);
    const reader: SegmentReader = { ...dialect, select };
    return await read({ checkpoint, scan: (pageSize) => scanRecords(reader, pageSize) });
  } finally {
    open = false;
    await reads.close();
  }
}

const SNAPSHOT_CLOSED =
  'the audit snapshot is closed: its records are read inside the function auditSnapshot was given';

/** Segments the prune's check reads a round trip: at most 16 × 512 records parsed at once. */
const CHECK_PAGE = 16;

/**
 * Hands `check` the records of every segment a prune through `seq` deletes or cuts (the cut
 * one to its end), in seq order a page of segments at a time, each segment's columns checked
 * against its lines after them. Rebuilt from its lines, the cut segment's columns would
 * otherwise leave no trace of an edit to them.
 */
function* checkRemoved(seq: number, check: (record: AuditRecord) => void, reader: SegmentReader): Steps<void> {
  const sql = scannedSegmentsSql(reader, true);
  let cursor = BEFORE_EVERY_SEQ;
  for (;;) {
    const rows = yield* rowsOf<ScannedRow>(sql, [cursor, seq, CHECK_PAGE]);
    for (const row of rows) for (const record of checkedRecords(row)) check(record);
    const last = rows.at(-1);
    if (last === undefined || rows.length < CHECK_PAGE) return;
    cursor = Number(last.first_seq) + 1;
  }
}

function* rowsOf<Row>(sql: string, params: readonly SqlValue[] = []): Steps<Row[]> {
  return (yield { sql, params }) as Row[];
}

function* checkpointSteps(): Steps<AuditCheckpoint | undefined> {
  const [row] = yield* rowsOf<CheckpointRow>(CHECKPOINT_SQL);
  return row === undefined ? undefined : checkpointFromRow(row);
}

/** The last segment's end, read without its records; else the checkpoint's. */
function* headSteps(): Steps<ChainHead | undefined> {
  const [last] = yield* rowsOf<Pick<SegmentEndRow, 'last_seq' | 'last_hash'>>(HEAD_SQL);
  if (last !== undefined) return { seq: Number(last.last_seq), hash: last.last_hash };
  const start = yield* checkpointSteps();
  return start === undefined ? undefined : { seq: start.seq, hash: start.hash };
}

function* appendSteps(seal: SealEntries, dialect: AuditDialect): Steps<readonly SealedRecord[]> {
  const before = yield* headSteps();
  const records = seal(before);
  checkSealed(before, records);
  if (records.length > 0) for (const statement of dialect.insertSegment(segmentOf(records))) yield statement;
  return records;
}

/**
 * Checks what goes (checkRemoved), then deletes the segments up to the checkpoint, writes the
 * rest of the one it cuts, and keeps the checkpoint.
 */
function* pruneSteps(next: AuditCheckpoint, check: CheckPruned, dialect: AuditDialect): Steps<number> {
  const { placeholder: p } = dialect;
  const [at] = yield* rowsOf<SegmentEndRow>(SEGMENT_AT_SQL(p), [next.seq]);
  const cut = cutAt(at, next.seq);
  const replaced = yield* checkpointSteps();
  checkPrune(next, replaced, yield* headSteps(), cut.hashAtSeq);
  yield* checkRemoved(next.seq, check(replaced), dialect);
  const [upTo] = yield* rowsOf<{ records: number | string }>(RECORDS_UP_TO_SQL(p), [next.seq]);
  yield { sql: DELETE_KEYS_UP_TO_SQL(p), params: [next.seq] };
  yield { sql: DELETE_SEGMENTS_UP_TO_SQL(p), params: [next.seq] };
  for (const statement of cut.rest === undefined ? [] : dialect.insertSegment(cut.rest)) yield statement;
  yield { sql: SAVE_CHECKPOINT_SQL(p), params: [next.seq, next.hash, next.prunedAt, next.signature] };
  const kept = cut.rest === undefined ? 0 : cut.rest.lastSeq - cut.rest.firstSeq + 1;
  return Number(upTo?.records ?? 0) - kept;
}
