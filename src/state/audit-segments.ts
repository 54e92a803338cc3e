/**
 * How a store keeps the audit chain: each append is one **segment**, a row holding its
 * records as text, one JSON object a line, with the details written as they were hashed.
 * A segment is one row and a handful of key rows per batch of up to 512 records, where a
 * row per record was five B-tree inserts (the table and its time, actor, action and tenant
 * indexes); what that cost is in docs/benchmarks.md.
 *
 *   audit_segments      first_seq │ last_seq │ min_time │ max_time │ last_hash │ records (NDJSON)
 *   audit_segment_keys  kind (actor | action | tenant) │ value │ first_seq   — which segments hold a value
 *
 * The chain's format is untouched: every line is a whole record (seq, prevHash, hash and
 * all), so verification reads records exactly as before, and an edited, removed or moved
 * line is found as an edited, missing or moved record. This module is the text and its
 * keys; the SQL lives in audit-segment-sql.ts.
 */
import type { AuditQuery, AuditRecord, SealedRecord } from './store.ts';

/** A value some record of the segment holds, for queries to find the segment by. */
export interface SegmentKey {
  readonly kind: 'actor' | 'action' | 'tenant';
  readonly value: string;
}

/** A segment as it is written: its seq range, its time range, its last hash (the chain's head), its text and keys. */
export interface Segment {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Records carry their writer's clock, and replicas' clocks differ: the range, not first and last. */
  readonly minTime: string;
  readonly maxTime: string;
  readonly lastHash: string;
  readonly text: string;
  readonly keys: readonly SegmentKey[];
}

/** A record and the line it was read from, kept as written when a segment is cut. */
interface StoredLine {
  readonly line: string;
  readonly record: AuditRecord;
}

/**
 * A record's line: the text its hash was taken over (its seven fields in their sorted order,
 * the details as hashed), with the hash added as a last field. JSON.stringify never writes
 * a raw line break, so a line is one record.
 */
export function recordLine(record: SealedRecord): string {
  const { seq, hashed, hash } = record;
  // Only white space can put a raw line break in JSON: a sealer that indented its details.
  if (hashed.includes('\n')) throw new Error(`audit record ${seq}'s details are not JSON on one line`);
  return `${hashed.slice(0, -1)},"hash":${JSON.stringify(hash)}}`;
}

/** One append's records (at least one, in seq order) as one segment. This is on the write path of every audited request. */
export function segmentOf(records: readonly SealedRecord[]): Segment {
  let text = '';
  for (let index = 0; index < records.length; index += 1) {
    text += (index === 0 ? '' : '\n') + recordLine(records[index] as SealedRecord);
  }
  return describeSegment(records, text);
}

/** The segment's records in the order they are stored; throws on a line that is not a record. */
export function recordsOf(text: string, firstSeq: number | string): AuditRecord[] {
  return storedLines(text, firstSeq).map(({ record }) => record);
}

/** Where a prune cuts a segment: the hash at the cut, and what is left of the segment after it. */
export interface SegmentCut {
  /** The hash of the record at `seq`, when the segment holds it. */
  readonly hashAtSeq: string | undefined;
  /** The records after `seq`, their lines as written; undefined when none are left. */
  readonly rest: Segment | undefined;
}

export function cutSegment(text: string, firstSeq: number | string, seq: number): SegmentCut {
  const lines = storedLines(text, firstSeq);
  const hashAtSeq = lines.find(({ record }) => record.seq === seq)?.record.hash;
  const kept = lines.filter(({ record }) => record.seq > seq);
  if (kept.length === 0) return { hashAtSeq, rest: undefined };
  const rest = describeSegment(
    kept.map(({ record }) => record),
    kept.map(({ line }) => line).join('\n'),
  );
  return { hashAtSeq, rest };
}

/** Whether a record passes a query's filters (its limit aside). */
export function matchesQuery(query: AuditQuery): (record: AuditRecord) => boolean {
  const { from, to, actor, action, tenant, afterSeq } = query;
  return (record) =>
    (from === undefined || record.time >= from) &&
    (to === undefined || record.time < to) &&
    (actor === undefined || record.actor === actor) &&
    (action === undefined || record.action === action) &&
    (tenant === undefined || record.tenant === tenant) &&
    (afterSeq === undefined || record.seq > afterSeq);
}

/** A segment's own columns as stored, its key rows with them, to check against its lines. */
export interface SegmentColumns {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly minTime: string;
  readonly maxTime: string;
  readonly lastHash: string;
  /** Any kind, once the database was edited. */
  readonly keys: readonly { readonly kind: string; readonly value: string }[];
}

/** Where a segment's columns disagree with its records: the seq to name, and why. */
export interface SegmentMismatch {
  readonly seq: number;
  readonly reason: string;
}

/**
 * Checks a segment's columns against the records its lines hold, as stored. Queries find
 * records by the columns and key rows, and the head is the last segment's end: edited, they
 * would hide records from a query, or hide lines cut from the end, while every line verifies.
 */
export function segmentMismatch(stored: SegmentColumns, records: readonly AuditRecord[]): SegmentMismatch | undefined {
  const held = describeSegment(records, '');
  const [name, at] = [`the audit segment from seq ${stored.firstSeq}`, stored.firstSeq];
  if (held.firstSeq !== stored.firstSeq) return { seq: at, reason: `${name} holds records from seq ${held.firstSeq}` };
  if (held.lastSeq !== stored.lastSeq) {
    const reason = `${name} says it ends at seq ${stored.lastSeq}; its last line is seq ${held.lastSeq}`;
    return { seq: Math.min(held.lastSeq, stored.lastSeq) + 1, reason };
  }
  if (held.lastHash !== stored.lastHash) {
    return { seq: stored.lastSeq, reason: `${name}'s last hash is not the hash of seq ${stored.lastSeq}` };
  }
  if (held.minTime !== stored.minTime || held.maxTime !== stored.maxTime) {
    const says = `says its records' times run from ${stored.minTime} to ${stored.maxTime}`;
    return { seq: at, reason: `${name} ${says}; they run from ${held.minTime} to ${held.maxTime}` };
  }
  const spell = (key: { kind: string; value: string }): string => `${key.kind} ${JSON.stringify(key.value)}`;
  const [rows, holds] = [new Set(stored.keys.map(spell)), new Set(held.keys.map(spell))];
  const missing = [...holds].find((key) => !rows.has(key));
  if (missing !== undefined)
    return { seq: at, reason: `${name} has no key row for ${missing}, which its records hold` };
  const extra = [...rows].find((key) => !holds.has(key));
  if (extra !== undefined)
    return { seq: at, reason: `${name} has a key row for ${extra}, which none of its records hold` };
  return undefined;
}

/** What a segment's columns and key rows say of a record: all but its details and prevHash. */
type Described = Pick<AuditRecord, 'seq' | 'time' | 'actor' | 'action' | 'tenant' | 'hash'>;

function describeSegment(records: readonly Described[], text: string): Segment {
  const first = records[0];
  const last = records.at(-1);
  if (first === undefined || last === undefined) throw new Error('an audit segment holds at least one record');
  let [minTime, maxTime] = [first.time, first.time];
  const [actors, actions, tenants] = [new Set<string>(), new Set<string>(), new Set<string>()];
  for (const record of records) {
    if (record.time < minTime) minTime = record.time;
    if (record.time > maxTime) maxTime = record.time;
    actors.add(record.actor);
    actions.add(record.action);
    if (record.tenant !== null) tenants.add(record.tenant);
  }
  const keys = [
    ...[...actors].map((value) => ({ kind: 'actor' as const, value })),
    ...[...actions].map((value) => ({ kind: 'action' as const, value })),
    ...[...tenants].map((value) => ({ kind: 'tenant' as const, value })),
  ];
  return { firstSeq: first.seq, lastSeq: last.seq, minTime, maxTime, lastHash: last.hash, text, keys };
}

function storedLines(text: string, firstSeq: number | string): StoredLine[] {
  return text.split('\n').map((line, index) => ({ line, record: parseRecord(line, index + 1, firstSeq) }));
}

/** Refuses what is not a whole record, naming the segment and line, rather than hand verification a partial one. */
function parseRecord(line: string, lineNumber: number, firstSeq: number | string): AuditRecord {
  const where = `line ${lineNumber} of the audit segment from seq ${firstSeq}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecordShaped(value)) throw new Error(`${where} is not an audit record: ${line.slice(0, 200)}`);
  const { seq, time, actor, action, tenant, details, prevHash, hash } = value;
  return { seq, time, actor, action, tenant, details, prevHash, hash };
}

interface RecordShape {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly tenant: string | null;
  readonly details: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

function isRecordShaped(value: unknown): value is RecordShape {
  if (!isObject(value)) return false;
  const text = (name: string): boolean => typeof value[name] === 'string';
  return (
    Number.isSafeInteger(value['seq']) &&
    text('time') &&
    text('actor') &&
    text('action') &&
    (value['tenant'] === null || text('tenant')) &&
    isObject(value['details']) &&
    text('prevHash') &&
    text('hash')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
