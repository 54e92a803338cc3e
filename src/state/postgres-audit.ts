/**
 * The audit log on PostgreSQL, in segments (audit-segments.ts). Appends and prunes take
 * `LOCK TABLE audit_segments IN EXCLUSIVE MODE` inside their transaction: it queues every
 * other writer of the chain (readers go on) until commit, so two replicas never read the
 * same head and fork the chain.
 */
import type pg from 'pg';
import {
  CHECKPOINT_SQL,
  DELETE_KEYS_UP_TO_SQL,
  DELETE_SEGMENTS_UP_TO_SQL,
  HEAD_SQL,
  RECORDS_UP_TO_SQL,
  SAVE_CHECKPOINT_SQL,
  SEGMENT_AT_SQL,
  SEGMENT_COLUMNS,
  cutAt,
  queryRecords,
  scanRecords,
  segmentParams,
  type Select,
  type SegmentEndRow,
} from './audit-segment-sql.ts';
import { segmentOf, type Segment } from './audit-segments.ts';
import type { Queryable } from './postgres-migrate.ts';
import { checkpointFromRow, type CheckpointRow } from './rows.ts';
import type { AuditMethods } from './sqlite-audit.ts';
import { checkPrune, checkSealed } from './store-rules.ts';
import type { AuditCheckpoint, ChainHead } from './store.ts';

const numbered = (index: number): string => `$${index}`;
const LOCK_CHAIN = 'LOCK TABLE audit_segments IN EXCLUSIVE MODE';

/** The segment and its keys in one statement: one round trip per append. */
const INSERT_SEGMENT_WITH_KEYS = `WITH segment AS (
    INSERT INTO audit_segments (${SEGMENT_COLUMNS}) VALUES ($1::bigint, $2, $3, $4, $5, $6))
  INSERT INTO audit_segment_keys (kind, value, first_seq)
  SELECT kind, value, $1::bigint FROM unnest($7::text[], $8::text[]) AS key (kind, value)`;

export function postgresAudit(
  pool: pg.Pool,
  transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): AuditMethods {
  const select: Select = async <Row>(sql: string, params: readonly unknown[]) =>
    (await pool.query(sql, [...params])).rows as Row[];
  return {
    appendAudit: (seal) =>
      transaction(async (client) => {
        await client.query(LOCK_CHAIN);
        const before = await chainHead(client);
        const records = seal(before);
        checkSealed(before, records);
        if (records.length > 0) await insertSegment(client, segmentOf(records));
        return records;
      }),
    queryAudit: (query) => queryRecords(query, select, numbered),
    scanAudit: (pageSize) => scanRecords(select, numbered, pageSize),
    auditCheckpoint: () => checkpointOf(pool),
    pruneAudit: (next) =>
      transaction(async (client) => {
        await client.query(LOCK_CHAIN);
        const at = await client.query<SegmentEndRow>(SEGMENT_AT_SQL(numbered), [next.seq]);
        const cut = cutAt(at.rows[0], next.seq);
        checkPrune(next, await checkpointOf(client), await chainHead(client), cut.hashAtSeq);
        const upTo = await client.query<{ records: string }>(RECORDS_UP_TO_SQL(numbered), [next.seq]);
        await client.query(DELETE_KEYS_UP_TO_SQL(numbered), [next.seq]);
        await client.query(DELETE_SEGMENTS_UP_TO_SQL(numbered), [next.seq]);
        if (cut.rest !== undefined) await insertSegment(client, cut.rest);
        await client.query(SAVE_CHECKPOINT_SQL(numbered), [next.seq, next.hash, next.prunedAt, next.signature]);
        const kept = cut.rest === undefined ? 0 : cut.rest.lastSeq - cut.rest.firstSeq + 1;
        return Number(upTo.rows[0]?.records ?? 0) - kept;
      }),
    auditHead: () => chainHead(pool),
  };
}

async function insertSegment(client: Queryable, segment: Segment): Promise<void> {
  const kinds = segment.keys.map((key) => key.kind);
  const values = segment.keys.map((key) => key.value);
  await client.query(INSERT_SEGMENT_WITH_KEYS, [...segmentParams(segment), kinds, values]);
}

async function chainHead(client: Queryable): Promise<ChainHead | undefined> {
  const last = await client.query<{ last_seq: string; last_hash: string }>(HEAD_SQL);
  const row = last.rows[0];
  if (row !== undefined) return { seq: Number(row.last_seq), hash: row.last_hash };
  const checkpoint = await checkpointOf(client);
  return checkpoint === undefined ? undefined : { seq: checkpoint.seq, hash: checkpoint.hash };
}

async function checkpointOf(client: Queryable): Promise<AuditCheckpoint | undefined> {
  const { rows } = await client.query<CheckpointRow>(CHECKPOINT_SQL);
  return rows[0] === undefined ? undefined : checkpointFromRow(rows[0]);
}
