/**
 * The audit log on SQLite, in segments (audit-segment-store.ts): the SqliteStore's IMMEDIATE
 * writes (the chain is locked from the head's read to the commit) and prepared statements.
 */
import type Database from 'better-sqlite3';
import { INSERT_SEGMENT_SQL, segmentParams, type Select } from './audit-segment-sql.ts';
import { runSteps, segmentAudit, type AuditMethods, type Statement } from './audit-segment-store.ts';
import { unnumbered } from './sql-placeholders.ts';

const INSERT_KEY_SQL = 'INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES (?, ?, ?)';

export function sqliteAudit(write: <T>(work: () => T) => T, sql: (text: string) => Database.Statement): AuditMethods {
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
  });
}
