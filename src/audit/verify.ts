/**
 * Verifies an audit chain record by record, in one pass and constant memory (a store's
 * snapshot pages through it), and names the first bad record with the reason.
 *
 * A store that keeps records in segments checks each segment's own columns as it scans
 * (AuditSegmentError, named here as a `bad-segment`): lines cut from a segment's end show
 * against its last seq. What a chain alone cannot show: records cut off its end with the
 * columns made to match, or whole segments. The rest still links, so the verifier needs the
 * head as it was seen earlier (`expectedHead`, kept outside the database: `sluice audit
 * head`) to tell a truncated chain from a short one.
 */
import type { KeyObject } from 'node:crypto';
import {
  AuditSegmentError,
  type AuditCheckpoint,
  type AuditRecord,
  type ChainHead,
  type Store,
} from '../state/store.ts';
import { GENESIS_HEAD, hashRecord } from './chain.ts';
import { verifyCheckpoint } from './checkpoint.ts';

export type ChainFault =
  /** The record's hash is not the hash of its content: a field was edited. */
  | 'edited'
  /** Its prevHash is not the previous record's hash. */
  | 'broken-link'
  /** Records are missing before it (deleted, or pruned without a checkpoint). */
  | 'gap'
  /** Its seq is not above the one before (moved or duplicated). */
  | 'out-of-order'
  /** The checkpoint's signature does not check with the public key, or there is no key to check it. */
  | 'bad-checkpoint'
  /** A segment's own columns or key rows disagree with its records (a store's AuditSegmentError). */
  | 'bad-segment'
  /** The chain ends before, or differs at, the head given as expected. */
  | 'truncated'
  | 'head-mismatch';

export type ChainVerdict =
  | { readonly ok: true; readonly records: number; readonly lastSeq: number; readonly lastHash: string }
  | { readonly ok: false; readonly seq: number; readonly fault: ChainFault; readonly reason: string };

export interface VerifyOptions {
  /** The head as recorded earlier outside the database: the chain must reach it, with this hash at its seq. */
  readonly expectedHead?: ChainHead;
}

export type Fault = Extract<ChainVerdict, { ok: false }>;

function fault(seq: number, kind: ChainFault, reason: string): Fault {
  return { ok: false, seq, fault: kind, reason };
}

/**
 * `records` in the order they are stored (seq order); `checkpoint` and `publicKey` when the
 * start of the chain was pruned. With a checkpoint and no key the verdict is a fault:
 * an unchecked checkpoint would let anyone restart the chain wherever they liked.
 */
export async function verifyAuditChain(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  checkpoint: AuditCheckpoint | undefined,
  publicKey: KeyObject | undefined,
  options: VerifyOptions = {},
): Promise<ChainVerdict> {
  const walk = ChainWalk.from(checkpoint, publicKey);
  if (!(walk instanceof ChainWalk)) return walk;
  const stream = inOrder(records);
  try {
    for await (const record of stream) {
      const bad = walk.step(record);
      if (bad?.fault === 'gap') return (await movedRecord(record, bad.seq, stream)) ?? bad;
      if (bad) return bad;
      const anchor = checkAnchor(record, options.expectedHead);
      if (anchor) return anchor;
    }
  } catch (error) {
    if (error instanceof AuditSegmentError) return segmentFault(error);
    throw error;
  }
  const { last, count } = walk;
  return checkEnd(last, options.expectedHead) ?? { ok: true, records: count, lastSeq: last.seq, lastHash: last.hash };
}

/** A store's AuditSegmentError as the fault it is. */
export function segmentFault(error: AuditSegmentError): Fault {
  return fault(error.seq, 'bad-segment', error.message);
}

/**
 * The chain checked one record at a time and synchronously, so that a store's transaction can
 * run it too (a prune's check): from a checkpoint whose signature checks, or the genesis,
 * each record must follow the last one taken.
 */
export class ChainWalk {
  #last: ChainHead;
  #count = 0;

  private constructor(
    start: ChainHead,
    private readonly fromCheckpoint: boolean,
  ) {
    this.#last = start;
  }

  /** A walk from `checkpoint`, or the checkpoint's own fault. */
  static from(checkpoint: AuditCheckpoint | undefined, publicKey: KeyObject | undefined): ChainWalk | Fault {
    const start = checkStart(checkpoint, publicKey);
    return start.ok ? new ChainWalk(start.head, checkpoint !== undefined) : start;
  }

  /** The record's fault; else undefined, and the record is the last one taken. */
  step(record: AuditRecord): Fault | undefined {
    const bad = checkRecord(record, this.#last, this.fromCheckpoint && this.#count === 0);
    if (bad !== undefined) return bad;
    this.#last = record;
    this.#count += 1;
    return undefined;
  }

  get last(): ChainHead {
    return this.#last;
  }

  /** Records taken. */
  get count(): number {
    return this.#count;
  }
}

/** What verifying a store's chain found, and the checkpoint it started from. */
export interface StoredChainVerdict {
  readonly verdict: ChainVerdict;
  readonly checkpoint: AuditCheckpoint | undefined;
}

/**
 * Verifies the chain a store holds, its checkpoint and its records read in one snapshot: a
 * prune or an append committing meanwhile can neither hide records between two pages nor
 * pair one moment's checkpoint with another's records.
 */
export async function verifyStoredChain(
  store: Pick<Store, 'auditSnapshot'>,
  publicKey: KeyObject | undefined,
  options: VerifyOptions = {},
  pageSize = 1000,
): Promise<StoredChainVerdict> {
  return store.auditSnapshot(async ({ checkpoint, scan }) => {
    const verdict = await verifyAuditChain(scan(pageSize), checkpoint, publicKey, options);
    return { verdict, checkpoint };
  });
}

function checkStart(
  checkpoint: AuditCheckpoint | undefined,
  publicKey: KeyObject | undefined,
): { ok: true; head: ChainHead } | Fault {
  if (checkpoint === undefined) return { ok: true, head: GENESIS_HEAD };
  if (publicKey === undefined) {
    return fault(
      checkpoint.seq,
      'bad-checkpoint',
      'the chain starts at a checkpoint and no public key was given to check it',
    );
  }
  if (!verifyCheckpoint(checkpoint, publicKey)) {
    return fault(checkpoint.seq, 'bad-checkpoint', `the checkpoint at seq ${checkpoint.seq} has no valid signature`);
  }
  return { ok: true, head: { seq: checkpoint.seq, hash: checkpoint.hash } };
}

/**
 * Order first (a moved or missing record explains the broken link that follows it), then
 * the record's own hash, then its link to the record before.
 */
function checkRecord(record: AuditRecord, previous: ChainHead, afterCheckpoint: boolean): Fault | undefined {
  const expected = previous.seq + 1;
  if (record.seq < expected) {
    return fault(record.seq, 'out-of-order', `seq ${record.seq} comes after seq ${previous.seq}`);
  }
  if (record.seq > expected) {
    const missing = record.seq === expected + 1 ? `seq ${expected} is` : `seqs ${expected}–${record.seq - 1} are`;
    return fault(expected, 'gap', `${missing} missing: seq ${record.seq} follows seq ${previous.seq}`);
  }
  if (hashRecord(record) !== record.hash) {
    return fault(record.seq, 'edited', `seq ${record.seq}'s hash does not match its content`);
  }
  if (record.prevHash !== previous.hash) {
    const before = afterCheckpoint ? `the checkpoint's hash (seq ${previous.seq})` : `seq ${previous.seq}'s hash`;
    return fault(record.seq, 'broken-link', `seq ${record.seq}'s prevHash is not ${before}`);
  }
  return undefined;
}

function checkAnchor(record: AuditRecord, expectedHead: ChainHead | undefined): Fault | undefined {
  if (expectedHead === undefined || record.seq !== expectedHead.seq || record.hash === expectedHead.hash) return;
  return fault(record.seq, 'head-mismatch', `seq ${record.seq}'s hash is not the expected head's`);
}

/** The chain must reach the expected head; a head at or before the checkpoint is vouched for by its signature. */
function checkEnd(last: ChainHead, expectedHead: ChainHead | undefined): Fault | undefined {
  if (expectedHead === undefined) return undefined;
  if (last.seq < expectedHead.seq) {
    const cut = last.seq + 1;
    return fault(cut, 'truncated', `the chain ends at seq ${last.seq}; the expected head is seq ${expectedHead.seq}`);
  }
  if (last.seq === expectedHead.seq && last.hash !== expectedHead.hash) {
    return fault(last.seq, 'head-mismatch', `seq ${last.seq}'s hash is not the expected head's`);
  }
  return undefined;
}

/**
 * After a gap, reads on (a fault path, so the time is well spent): a record from the gap
 * further on means records were moved, not removed, and the first one out of place is named.
 */
async function movedRecord(
  record: AuditRecord,
  firstMissing: number,
  rest: AsyncIterable<AuditRecord>,
): Promise<Fault | undefined> {
  try {
    for await (const later of rest) {
      if (later.seq >= firstMissing && later.seq < record.seq) {
        return fault(record.seq, 'out-of-order', `seq ${record.seq} comes before seq ${later.seq}`);
      }
    }
  } catch (error) {
    // A bad segment further on: the gap came first.
    if (!(error instanceof AuditSegmentError)) throw error;
  }
  return undefined;
}

/**
 * One generator the main loop and `movedRecord` both read from: the main loop stops, and
 * `movedRecord` takes the records after it.
 */
async function* inOrder(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>): AsyncGenerator<AuditRecord> {
  yield* records;
}
