/**
 * The audit log on SQLite, in segments (audit-segment-store.ts): the SqliteStore's IMMEDIATE
 * writes (the chain is locked from the head's read to the commit) and prepared statements,
 * and snapshots read on a connection of their own.
 */
import Database from 'better-sqlite3';
import { INSERT_SEGMENT_SQL, segmentParams, type Select } from './audit-segment-sql.ts';
import { runSteps, segmentAudit, type AuditMethods, type ReadSnapshot, type Statement } from './audit-segment-store.ts';
import { unnumbered } from './sql-placeholders.ts';

const INSERT_KEY_SQL = 'INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES (?, ?, ?)';

/** How long a snapshot's first read waits on a busy file, as the store's own connection does. */
const SNAPSHOT_BUSY_TIMEOUT_MS = 5_000;

/** `store` is the store's connection, which a snapshot reads the file or the copy of. */
export function sqliteAudit(
  store: () => Database.Database,
  write: <T>(work: () => T) => T,
  sql: (text: string) => Database.Statement,
): AuditMethods {
  const select: Select = async <Row>(text: string, params: readonly unknown[]) => sql(text).all(...params) as Row[];
  const run = ({ sql: text, params }: Statement): readonly object[] => {
    const statement = sql(text);
    if (statement.reader) return statement.all(...params) as object[];
    statement.run(...params);
    return [];
  };
  return segmentAudit({
    placeholder: unnumbered,
    select,
    keysJson: 'json_group_array(json_array(k.kind, k.value))',
    write: async (steps) => write(() => runSteps(steps, run)),
    insertSegment: (segment) => [
      { sql: INSERT_SEGMENT_SQL(unnumbered), params: segmentParams(segment) },
      ...segment.keys.map(({ kind, value }) => ({ sql: INSERT_KEY_SQL, params: [kind, value, segment.firstSeq] })),
    ],
    snapshot: async () => snapshotOf(store()),
  });
}

/**
 * A connection of its own, not the store's (whose writes would join its transaction): on a
 * file, a read transaction, which from its first read sees the file as it was then while
 * WAL lets other connections commit past it; in memory, where no second connection reaches
 * the database, a copy of it.
 */
function snapshotOf(db: Database.Database): ReadSnapshot {
  // A file's reader opens on its own: without this, a closed store's snapshot would still read.
  if (!db.open) throw new TypeError('The database connection is not open');
  const reader = db.memory
    ? new Database(db.serialize())
    : new Database(db.name, { readonly: true, fileMustExist: true });
  try {
    reader.pragma(`busy_timeout = ${SNAPSHOT_BUSY_TIMEOUT_MS}`);
    reader.exec('BEGIN');
  } catch (error) {
    reader.close();
    throw error;
  }
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string): Database.Statement => {
    let statement = statements.get(text);
    if (statement === undefined) statements.set(text, (statement = reader.prepare(text)));
    return statement;
  };
  return {
    select: async <Row>(text: string, params: readonly unknown[]) => prepared(text).all(...params) as Row[],
    // Closing the connection ends its read transaction.
    close: async () => void reader.close(),
  };
}
