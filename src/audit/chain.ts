/**
 * The audit log's hash chain. Each record's hash covers its content and the hash of the
 * record before it, so editing, deleting or moving any record breaks every link after it:
 *
 *   GENESIS_HASH ← #1 {seq 1, …, prevHash} ← #2 {seq 2, …, prevHash = #1.hash} ← …
 *
 * The hash is SHA-256 over a canonical JSON text (keys sorted by UTF-16 code unit, no
 * spaces, numbers as JavaScript prints them: RFC 8785's rules for plain JSON), so an auditor
 * can recompute it in any language from what the store returns.
 */
import { hash } from 'node:crypto';
import type { AuditEntry, AuditRecord, ChainHead, SealEntries, SealedRecord, SpelledEntry } from '../state/store.ts';

/** The prevHash of the first record ever written: the chain's fixed starting point. */
export const GENESIS_HASH = '0'.repeat(64);

/** The head of an empty chain with no checkpoint: the first record gets seq 1. */
export const GENESIS_HEAD: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/** Everything a record's hash covers: the entry, its place, and its link to the record before. */
export type RecordContent = Omit<AuditRecord, 'hash'>;

/**
 * JSON with object keys sorted at every depth. Values JSON cannot hold are treated as
 * JSON.stringify treats them (an undefined property is left out, a non-finite number is
 * null), so the text is the same before a store writes `details` and after it reads it back.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

function canonical(value: unknown): string | undefined {
  const plain = hasToJson(value) ? value.toJSON() : value;
  if (plain === null) return 'null';
  switch (typeof plain) {
    case 'string':
    case 'boolean':
      return JSON.stringify(plain);
    case 'number':
      return Number.isFinite(plain) ? JSON.stringify(plain) : 'null';
    case 'object':
      return Array.isArray(plain) ? canonicalArray(plain) : canonicalObject(plain as Record<string, unknown>);
    case 'bigint':
      throw new TypeError('an audit record cannot hold a bigint: it has no JSON form');
    default:
      return undefined; // undefined, functions and symbols, as JSON.stringify leaves them out
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) text += (i === 0 ? '' : ',') + (canonical(items[i]) ?? 'null');
  return text + ']';
}

function canonicalObject(object: Record<string, unknown>): string {
  let text = '{';
  for (const key of Object.keys(object).sort()) {
    const value = canonical(object[key]);
    if (value !== undefined) text += (text.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + value;
  }
  return text + '}';
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * The exact text a record's hash is taken over: canonicalJson of its seven fields, spelled
 * out in their sorted order (it is on the write path of every audited request), so extra
 * properties never count. `detailsJson` is canonicalJson(record.details), when already made.
 */
export function recordContentText(record: RecordContent, detailsJson = canonicalJson(record.details)): string {
  const { action, actor, prevHash, seq, tenant, time } = record;
  return contentText(action, actor, detailsJson, prevHash, seq, tenant, time);
}

function contentText(
  action: string,
  actor: string,
  detailsJson: string,
  prevHash: string,
  seq: number,
  tenant: string | null,
  time: string,
): string {
  return (
    `{"action":${JSON.stringify(action)},"actor":${JSON.stringify(actor)},"details":${detailsJson},` +
    `"prevHash":${JSON.stringify(prevHash)},"seq":${canonicalJson(seq)},` +
    `"tenant":${typeof tenant === 'string' ? JSON.stringify(tenant) : canonicalJson(tenant)},"time":${JSON.stringify(time)}}`
  );
}

/** SHA-256, lower-case hex, of the record's canonical content. */
export function hashRecord(record: RecordContent, detailsJson?: string): string {
  return sha256(recordContentText(record, detailsJson));
}

function sha256(text: string): string {
  // One call: a third of createHash's cost per record.
  return hash('sha256', text, 'hex');
}

/** The entry with its details spelled as they are hashed; throws when they have no JSON form (a bigint). */
export function spelled(entry: AuditEntry): SpelledEntry {
  const { time, actor, action, tenant, details } = entry;
  return { time, actor, action, tenant, detailsJson: canonicalJson(details) };
}

/**
 * What `Store.appendAudit` calls, inside its transaction, with the chain's current head:
 * the entries in order, numbered from head.seq + 1 and each sealed to the one before.
 * Pure in the head, so a store that retries its transaction may call it again. It runs for
 * every audited inference: a plain loop, one object a record.
 */
export function sealEntries(entries: readonly SpelledEntry[]): SealEntries {
  return (head) => {
    const records = new Array<SealedRecord>(entries.length);
    let seq = head?.seq ?? GENESIS_HEAD.seq;
    let prevHash = head?.hash ?? GENESIS_HEAD.hash;
    for (let index = 0; index < entries.length; index += 1) {
      const { time, actor, action, tenant, detailsJson } = entries[index] as SpelledEntry;
      seq += 1;
      // The text the hash covers is made once: the store writes it as the record's line.
      const hashed = contentText(action, actor, detailsJson, prevHash, seq, tenant, time);
      const hash = sha256(hashed);
      records[index] = { seq, time, actor, action, tenant, detailsJson, prevHash, hash, hashed };
      prevHash = hash;
    }
    return records;
  };
}
