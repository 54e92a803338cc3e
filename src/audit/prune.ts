/**
 * Retention: removes the oldest records and leaves a signed checkpoint in their place, so
 * what remains still verifies. What goes is verified before it goes: signing a checkpoint
 * over a tampered prefix, or rebuilding the columns of a tampered segment the cut runs
 * through, would launder the tampering away with the evidence. Twice: in a snapshot, to find
 * the cut without holding the chain's lock, then by the store inside the prune's transaction
 * (checkPruned), so nothing edited in between goes unseen.
 *
 * The second check runs inside a transaction, which on SQLite holds the event loop, so a long
 * prefix goes in pieces of `pieceRecords` records, each its own transaction behind its own
 * checkpoint, with a turn of the event loop between them; the snapshot's read yields a turn
 * every page too. A piece refused leaves the pieces before it pruned, and says so.
 */
import type { KeyObject } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  AuditSegmentError,
  type AuditCheckpoint,
  type AuditRecord,
  type AuditSnapshot,
  type CheckPruned,
  type Store,
} from '../state/store.ts';
import { publicKeyOf, signCheckpoint } from './checkpoint.ts';
import { ChainWalk, segmentFault, verifyAuditChain, type Fault } from './verify.ts';

const PAGE_SIZE = 1000;
/** About 30 ms of one transaction on SQLite (docs/audit.md, what a prune costs). */
const PIECE_RECORDS = 5000;

export interface PruneOptions {
  /** Records older than this go. */
  readonly before: Date;
  /** The audit signing key (private): signs the new checkpoint and checks the one it replaces. */
  readonly signingKey: KeyObject;
  /** The checkpoint's prunedAt. */
  readonly now?: Date;
  /** Records a transaction removes at most (the last piece's cut may fall inside a segment). */
  readonly pieceRecords?: number;
}

export interface PruneResult {
  /** Records deleted. */
  readonly pruned: number;
  /** The checkpoint now at the start of the chain (the earlier one when nothing was old enough). */
  readonly checkpoint: AuditCheckpoint | undefined;
}

/** The chain the prune would remove or cut through was found broken: nothing more was pruned. */
export class AuditChainBrokenError extends Error {
  override readonly name = 'AuditChainBrokenError';
  constructor(
    readonly verdict: Fault,
    /** The checkpoint the pieces before it left, when some were pruned. */
    readonly prunedTo?: AuditCheckpoint,
  ) {
    super(`audit chain broken at seq ${verdict.seq} (${verdict.fault}): ${verdict.reason}; ${prunedText(prunedTo)}`);
  }
}

export function prunedText(prunedTo: AuditCheckpoint | undefined): string {
  return prunedTo === undefined ? 'nothing pruned' : `pruned up to seq ${prunedTo.seq} only`;
}

/**
 * Prunes the longest run of records from the start of the chain that are all older than
 * `before`. The run stops at the first record at or after the cut-off even when a later
 * one is older (replicas' clocks differ a little): the chain can only lose a prefix.
 */
export async function pruneAudit(
  store: Pick<Store, 'auditSnapshot' | 'pruneAudit'>,
  options: PruneOptions,
): Promise<PruneResult> {
  const publicKey = publicKeyOf(options.signingKey);
  const pieceRecords = options.pieceRecords ?? PIECE_RECORDS;
  const { earlier, cuts } = await store.auditSnapshot((snapshot) =>
    oldPrefix(snapshot, options.before, publicKey, pieceRecords),
  );
  const prunedAt = (options.now ?? new Date()).toISOString();
  let [pruned, checkpoint] = [0, earlier];
  for (const cut of cuts) {
    if (pruned > 0) await nextTurn();
    const next = signCheckpoint({ seq: cut.seq, hash: cut.hash, prunedAt }, options.signingKey);
    const prunedTo = pruned > 0 ? checkpoint : undefined;
    pruned += await store.pruneAudit(next, checkPruned(publicKey, prunedTo)).catch((error: unknown) => {
      throw error instanceof AuditSegmentError ? new AuditChainBrokenError(segmentFault(error), prunedTo) : error;
    });
    checkpoint = next;
  }
  return { pruned, checkpoint };
}

/**
 * What the store checks inside the prune's transaction: the checkpoint it replaces (its
 * signature again) and, from it, every record the prune removes and the rest of the segment
 * it cuts, whatever was edited since the snapshot the cut was found in.
 */
export function checkPruned(publicKey: KeyObject, prunedTo?: AuditCheckpoint): CheckPruned {
  return (replaced) => {
    const walk = ChainWalk.from(replaced, publicKey);
    if (!(walk instanceof ChainWalk)) throw new AuditChainBrokenError(walk, prunedTo);
    return (record) => {
      const bad = walk.step(record);
      if (bad !== undefined) throw new AuditChainBrokenError(bad, prunedTo);
    };
  };
}

/**
 * The checkpoint, and where each piece of the prefix older than `before` ends (every
 * `pieceRecords`-th record of it and its last), from one snapshot, the records up to the last verified.
 */
async function oldPrefix(
  { checkpoint, scan }: AuditSnapshot,
  before: Date,
  publicKey: KeyObject,
  pieceRecords: number,
): Promise<{ earlier: AuditCheckpoint | undefined; cuts: AuditRecord[] }> {
  const cutoff = before.getTime();
  const cuts: AuditRecord[] = [];
  let [last, count] = [undefined as AuditRecord | undefined, 0];
  async function* prefix(): AsyncGenerator<AuditRecord> {
    for await (const record of scan(PAGE_SIZE)) {
      if (!(Date.parse(record.time) < cutoff)) return;
      last = record;
      count += 1;
      if (count % pieceRecords === 0) cuts.push(record);
      // A long prefix is read a page at a time; on SQLite each read is synchronous.
      if (count % PAGE_SIZE === 0) await nextTurn();
      yield record;
    }
  }
  const verdict = await verifyAuditChain(prefix(), checkpoint, publicKey);
  if (!verdict.ok) throw new AuditChainBrokenError(verdict);
  if (last !== undefined && cuts.at(-1) !== last) cuts.push(last);
  return { earlier: checkpoint, cuts };
}

/** "30d", "12h" or a bare number of days, as a cut-off before `now`. */
export function cutoffBefore(age: string, now: Date): Date {
  const match = /^(\d+(?:\.\d+)?)\s*(d|h)?$/.exec(age.trim());
  if (match === null) throw new Error(`"${age}" is not an age: give days ("30d" or "30") or hours ("12h")`);
  const hours = Number(match[1]) * (match[2] === 'h' ? 1 : 24);
  return new Date(now.getTime() - hours * 3_600_000);
}
