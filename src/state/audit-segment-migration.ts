/**
 * Schema step 5: moves the audit log from a row per record (`audit_records` and its four
 * indexes) into segments (audit-segments.ts), for both dialects. Existing records move in
 * SQL, 256 to a segment, each line built from the row's columns with its details as they
 * were written (the text that was hashed, whatever its key order), so the chain verifies
 * as it did, from its checkpoint if it had one.
 *
 * Frozen: a released step is never edited (migrations.ts), so this one spells a line as the
 * format was at step 5 and does not follow later changes to recordLine; a change to the
 * segments is a new step.
 *
 * Replicas of an earlier sluice may still be appending to audit_records while it runs. On
 * SQLite the step's IMMEDIATE transaction already keeps every other writer of the file out.
 * On PostgreSQL its first statement takes the lock those replicas append under: it waits for
 * a batch being written to commit, keeps later ones out until the table is dropped (they then
 * fail, loudly, for want of the table), and both copies below read the same rows.
 */

type Dialect = 'sqlite' | 'postgres';

/** Records per segment for the rows moved: about what a busy server's batch holds. */
const MOVED_PER_SEGMENT = 256;

function segmentTables(dialect: Dialect): string[] {
  const seq = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  // SQLite keeps a table without rowid in its primary key's order: the key table is only that index.
  const withoutRowid = dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
  return [
    `CREATE TABLE audit_segments (
      first_seq ${seq} PRIMARY KEY, last_seq ${seq} NOT NULL, min_time TEXT NOT NULL, max_time TEXT NOT NULL,
      last_hash TEXT NOT NULL, records TEXT NOT NULL)`,
    // A query from a time on starts at the first segment holding a record that new.
    `CREATE INDEX audit_segments_max_time ON audit_segments (max_time)`,
    `CREATE TABLE audit_segment_keys (
      kind TEXT NOT NULL, value TEXT NOT NULL, first_seq ${seq} NOT NULL,
      PRIMARY KEY (kind, value, first_seq))${withoutRowid}`,
    // Pruning deletes the keys of the segments it removes, by their first seq.
    `CREATE INDEX audit_segment_keys_segment ON audit_segment_keys (first_seq)`,
  ];
}

/** A row of audit_records as its segment line, in the record format of step 5. */
function recordLineSql(dialect: Dialect): string {
  const quote = (column: string): string =>
    dialect === 'sqlite' ? `json_quote(${column})` : `coalesce(to_json(${column})::text, 'null')`;
  return (
    `'{"seq":' || CAST(seq AS TEXT) || ',"time":' || ${quote('time')} || ',"actor":' || ${quote('actor')}` +
    ` || ',"action":' || ${quote('action')} || ',"tenant":' || ${quote('tenant')} || ',"details":' || details` +
    ` || ',"prevHash":' || ${quote('prev_hash')} || ',"hash":' || ${quote('hash')} || '}'`
  );
}

function moveRecords(dialect: Dialect): string[] {
  const segment = `(seq - 1) / ${MOVED_PER_SEGMENT}`;
  // An ORDER BY inside an aggregate needs SQLite 3.44 or later (better-sqlite3 12 bundles a
  // newer one); an older SQLite refuses the statement, and the step rolls back whole.
  const lines =
    dialect === 'sqlite'
      ? `group_concat(${recordLineSql(dialect)}, char(10) ORDER BY seq)`
      : `string_agg(${recordLineSql(dialect)}, chr(10) ORDER BY seq)`;
  return [
    `INSERT INTO audit_segments (first_seq, last_seq, min_time, max_time, last_hash, records)
     SELECT g.first_seq, g.last_seq, g.min_time, g.max_time, r.hash, g.records
     FROM (SELECT min(seq) AS first_seq, max(seq) AS last_seq, min(time) AS min_time, max(time) AS max_time,
             ${lines} AS records
           FROM audit_records GROUP BY ${segment}) AS g
     JOIN audit_records r ON r.seq = g.last_seq`,
    `WITH placed AS (
       SELECT min(seq) OVER (PARTITION BY ${segment}) AS first_seq, actor, action, tenant FROM audit_records)
     INSERT INTO audit_segment_keys (kind, value, first_seq)
     SELECT 'actor', actor, first_seq FROM placed
     UNION SELECT 'action', action, first_seq FROM placed
     UNION SELECT 'tenant', tenant, first_seq FROM placed WHERE tenant IS NOT NULL`,
    // Its four indexes go with it.
    `DROP TABLE audit_records`,
  ];
}

/** The lock an earlier sluice's appends and prunes take on PostgreSQL (it conflicts with itself). */
const OLD_WRITERS_LOCK = 'LOCK TABLE audit_records IN EXCLUSIVE MODE';

export function auditSegmentSteps(dialect: Dialect): readonly string[] {
  const lock = dialect === 'postgres' ? [OLD_WRITERS_LOCK] : [];
  return [...lock, ...segmentTables(dialect), ...moveRecords(dialect)];
}
