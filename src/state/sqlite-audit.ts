/**
 * The audit log on SQLite, in segments (audit-segments.ts): the SqliteStore's IMMEDIATE
 * writes (the chain is locked from the head's read to the commit) and prepared statements.
 */
import type Database from 'better-sqlite3';
import {
  CHECKPOINT_SQL,
  DELETE_KEYS_UP_TO_SQL,
  DELETE_SEGMENTS_UP_TO_SQL,
  HEAD_SQL,
  INSERT_SEGMENT_SQL,
  RECORDS_UP_TO_SQL,
  SAVE_CHECKPOINT_SQL,
  SEGMENT_AT_SQL,
  cutAt,
  queryRecords,
  scanRecords,
  segmentParams,
  type Select,
  type SegmentEndRow,
} from './audit-segment-sql.ts';
import { segmentOf, type Segment } from './audit-segments.ts';
import { checkpointFromRow, type CheckpointRow } from './rows.ts';
import { checkPrune, checkSealed } from './store-rules.ts';
import type { AuditCheckpoint, ChainHead, Store } from './store.ts';

export type AuditMethods = Pick<
  Store,
  'appendAudit' | 'queryAudit' | 'scanAudit' | 'auditCheckpoint' | 'pruneAudit' | 'auditHead'
>;

const unnumbered = (): string => '?';
const INSERT_KEY_SQL = 'INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES (?, ?, ?)';

export function sqliteAudit(write: <T>(work: () => T) => T, sql: (text: string) => Database.Statement): AuditMethods {
  const select: Select = async <Row>(text: string, params: readonly unknown[]) => sql(text).all(...params) as Row[];

  const checkpoint = (): AuditCheckpoint | undefined => {
    const row = sql(CHECKPOINT_SQL).get() as CheckpointRow | undefined;
    return row === undefined ? undefined : checkpointFromRow(row);
  };

  const head = (): ChainHead | undefined => {
    const last = sql(HEAD_SQL).get() as Omit<SegmentEndRow, 'first_seq' | 'records'> | undefined;
    if (last !== undefined) return { seq: Number(last.last_seq), hash: last.last_hash };
    const start = checkpoint();
    return start === undefined ? undefined : { seq: start.seq, hash: start.hash };
  };

  const insertSegment = (segment: Segment): void => {
    sql(INSERT_SEGMENT_SQL(unnumbered)).run(...segmentParams(segment));
    const insertKey = sql(INSERT_KEY_SQL);
    for (const { kind, value } of segment.keys) insertKey.run(kind, value, segment.firstSeq);
  };

  return {
    appendAudit: async (seal) =>
      write(() => {
        const before = head();
        const records = seal(before);
        checkSealed(before, records);
        if (records.length > 0) insertSegment(segmentOf(records));
        return records;
      }),
    queryAudit: (query) => queryRecords(query, select, unnumbered),
    scanAudit: (pageSize) => scanRecords(select, unnumbered, pageSize),
    auditCheckpoint: async () => checkpoint(),
    pruneAudit: async (next) =>
      write(() => {
        const cut = cutAt(sql(SEGMENT_AT_SQL(unnumbered)).get(next.seq) as SegmentEndRow | undefined, next.seq);
        checkPrune(next, checkpoint(), head(), cut.hashAtSeq);
        const upTo = Number(sql(RECORDS_UP_TO_SQL(unnumbered)).pluck().get(next.seq));
        sql(DELETE_KEYS_UP_TO_SQL(unnumbered)).run(next.seq);
        sql(DELETE_SEGMENTS_UP_TO_SQL(unnumbered)).run(next.seq);
        if (cut.rest !== undefined) insertSegment(cut.rest);
        sql(SAVE_CHECKPOINT_SQL(unnumbered)).run(next.seq, next.hash, next.prunedAt, next.signature);
        return upTo - (cut.rest === undefined ? 0 : cut.rest.lastSeq - cut.rest.firstSeq + 1);
      }),
    auditHead: async () => head(),
  };
}
