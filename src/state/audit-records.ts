/**
 * The audit chain's records as the store keeps them and src/audit makes and checks them:
 * an entry, the record it is sealed into, the chain's head and checkpoint, and the error a
 * store's scan throws. Re-exported by store.ts, whose Store holds the audit methods.
 */

/** What an audit record says, before it is chained (never a request's payload). */
export interface AuditEntry {
  /** ISO 8601 with milliseconds. */
  readonly time: string;
  /** Who acted: a key id, "anonymous" (auth off), "cli", or "unknown" for a failed authentication. */
  readonly actor: string;
  /** e.g. "key.create", "tenant.create", "auth.failure", "inference". */
  readonly action: string;
  readonly tenant: string | null;
  /** Plain JSON, already redacted. */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * An entry as the audit log buffers it and sealing hashes it: its details already spelled as
 * their canonical JSON (canonicalJson, src/audit/chain.ts), the text its line holds. An
 * inference's maker spells it on the request path and keeps no details object.
 */
export interface SpelledEntry extends Omit<AuditEntry, 'details'> {
  readonly detailsJson: string;
}

/** An entry once appended: its place in the chain and the hash that seals it to the one before. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The end of the chain the next entry is sealed to. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** Stands for the records pruned from the start of the chain: verification continues from it. */
export interface AuditCheckpoint {
  /** The last pruned record's seq and hash. */
  readonly seq: number;
  readonly hash: string;
  readonly prunedAt: string;
  /** Signature over (seq, hash, prunedAt) by the audit signing key (src/audit/checkpoint.ts). */
  readonly signature: string;
}

/** Times are compared as text, so they must be written alike: UTC, with milliseconds (`toISOString`). */
export interface AuditQuery {
  /** ISO 8601, inclusive. */
  readonly from?: string;
  /** ISO 8601, exclusive. */
  readonly to?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly tenant?: string;
  /** Only records with a larger seq (paging). */
  readonly afterSeq?: number;
  /** At most this many, in seq order. */
  readonly limit: number;
}

/**
 * The audit chain as it stood at one moment (Store.auditSnapshot): its checkpoint and its
 * records read in one snapshot, so that a prune or an append committing while they are read
 * can neither hide records between two pages nor pair one moment's checkpoint with
 * another's records.
 */
export interface AuditSnapshot {
  /** The checkpoint the records continue from; undefined while nothing was ever pruned. */
  readonly checkpoint: AuditCheckpoint | undefined;
  /**
   * Every record in the order stored, which is seq order unless the database was tampered
   * with, about `pageSize` a read, so a long chain is never held in memory. After a segment's
   * records, throws AuditSegmentError when the segment's own columns disagree with them. It
   * reads only while the snapshot is open: until the function given it settles.
   */
  scan(pageSize: number): AsyncIterable<AuditRecord>;
}

/**
 * Seals entries onto the chain: given the current head (undefined for an empty chain with
 * no checkpoint), returns the records to insert, seq and hashes filled in. Called inside
 * the append transaction, with the chain locked, so replicas sharing a database never fork it.
 * The store refuses records that do not continue from the head (seq one more, prevHash the
 * hash before), and a seal that throws writes nothing.
 */
export type SealEntries = (head: ChainHead | undefined) => readonly SealedRecord[];

/**
 * What a prune checks inside its transaction before it deletes anything (src/audit owns how
 * records are hashed, as with SealEntries): called with the checkpoint being replaced, it
 * returns the function each record is then handed to, in the order stored, from the first
 * after that checkpoint through the last of the segment the prune cuts. Either throws to
 * refuse the prune, which then changes nothing.
 */
export type CheckPruned = (replaced: AuditCheckpoint | undefined) => (record: AuditRecord) => void;

/**
 * A record as sealing makes it: a spelled entry with its place in the chain, and the whole
 * text its hash covers, which the store writes. No details object: the store needs none.
 */
export interface SealedRecord extends SpelledEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  /** recordContentText of the record (src/audit/chain.ts). */
  readonly hashed: string;
}

/** The record a sealed one is once stored and read back: its details parsed, without the texts sealing made. */
export function storedRecord(sealed: SealedRecord): AuditRecord {
  const { seq, time, actor, action, tenant, detailsJson, prevHash, hash } = sealed;
  const details = JSON.parse(detailsJson) as Record<string, unknown>;
  return { seq, time, actor, action, tenant, details, prevHash, hash };
}

/**
 * Thrown by a snapshot's scan, or a prune, after the records of a segment whose own columns
 * (seq range, last hash, time range, key rows) disagree with them: `seq` is where, the
 * message names the segment.
 */
export class AuditSegmentError extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuditSegmentError';
  }
}
