/**
 * The audit log on PostgreSQL, in segments (audit-segment-store.ts). Appends and prunes take
 * `LOCK TABLE audit_segments IN EXCLUSIVE MODE` inside their transaction: it queues every
 * other writer of the chain (readers go on) until commit, so two replicas never read the
 * same head and fork the chain. A snapshot is a read-only REPEATABLE READ transaction.
 */
import type pg from 'pg';
import { SEGMENT_COLUMNS, segmentParams, type Select } from './audit-segment-sql.ts';
import { runStepsAsync, segmentAudit, type AuditMethods, type ReadSnapshot } from './audit-segment-store.ts';
import { asError } from '../core/errors.ts';
import { numbered } from './sql-placeholders.ts';

const LOCK_CHAIN = 'LOCK TABLE audit_segments IN EXCLUSIVE MODE';
const READ_SNAPSHOT = 'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY';

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
  return segmentAudit({
    placeholder: numbered,
    select,
    keysJson: `coalesce(json_agg(json_build_array(k.kind, k.value))::text, '[]')`,
    write: (steps) =>
      transaction(async (client) => {
        await client.query(LOCK_CHAIN);
        return runStepsAsync(steps, async ({ sql, params }) => (await client.query(sql, [...params])).rows);
      }),
    insertSegment: (segment) => {
      const kinds = segment.keys.map((key) => key.kind);
      const values = segment.keys.map((key) => key.value);
      return [{ sql: INSERT_SEGMENT_WITH_KEYS, params: [...segmentParams(segment), kinds, values] }];
    },
    snapshot: () => snapshotOn(pool),
  });
}

/**
 * One pooled connection in a REPEATABLE READ transaction: its first read takes the snapshot
 * every later one sees. It holds ACCESS SHARE locks only, which LOCK_CHAIN does not wait for,
 * so appends and prunes go on meanwhile.
 */
async function snapshotOn(pool: pg.Pool): Promise<ReadSnapshot> {
  const client = await pool.connect();
  try {
    await client.query(READ_SNAPSHOT);
  } catch (error) {
    client.release(asError(error));
    throw error;
  }
  return {
    select: async <Row>(sql: string, params: readonly unknown[]) =>
      (await client.query(sql, [...params])).rows as Row[],
    close: async () => {
      // A connection that cannot even end its transaction is discarded, not handed to the next caller.
      const broken = await client.query('ROLLBACK').then(() => undefined, asError);
      client.release(broken);
    },
  };
}
