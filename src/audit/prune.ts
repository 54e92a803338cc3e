/**
 * Retention: removes the oldest records and leaves a signed checkpoint in their place, so
 * what remains still verifies. What goes is verified before it goes: signing a checkpoint
 * over a tampered prefix, or rebuilding the columns of a tampered segment the cut runs
 * through, would launder the tampering away with the evidence. Twice: in a snapshot, to find
 * the cut without holding the chain's lock, then by the store inside the prune's transaction
 * (checkPruned), so nothing edited in between goes unseen.
 */
import type { KeyObject } from 'node:crypto';
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

export interface PruneOptions {
  /** Records older than this go. */
  readonly before: Date;
  /** The audit signing key (private): signs the new checkpoint and checks the one it replaces. */
  readonly signingKey: KeyObject;
  /** The checkpoint's prunedAt. */
  readonly now?: Date;
}

export interface PruneResult {
  /** Records deleted. */
  readonly pruned: number;
  /** The checkpoint now at the start of the chain (the earlier one when nothing was old enough). */
  readonly checkpoint: AuditCheckpoint | undefined;
}

/** The chain the prune would remove or cut through was found broken: nothing was pruned. */
export class AuditChainBrokenError extends Error {
  override readonly name = 'AuditChainBrokenError';
  constructor(readonly verdict: Fault) {
    super(`audit chain broken at seq ${verdict.seq} (${verdict.fault}): ${verdict.reason}; nothing pruned`);
  }
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
  const { earlier, last } = await store.auditSnapshot((snapshot) => oldPrefix(snapshot, options.before, publicKey));
  if (last === undefined) return { pruned: 0, checkpoint: earlier };
  const prunedAt = (options.now ?? new Date()).toISOString();
  const checkpoint = signCheckpoint({ seq: last.seq, hash: last.hash, prunedAt }, options.signingKey);
  const pruned = await store.pruneAudit(checkpoint, checkPruned(publicKey)).catch((error: unknown) => {
    throw error instanceof AuditSegmentError ? new AuditChainBrokenError(segmentFault(error)) : error;
  });
  return { pruned, checkpoint };
}

/**
 * What the store checks inside the prune's transaction: the checkpoint it replaces (its
 * signature again) and, from it, every record the prune removes and the rest of the segment
 * it cuts, whatever was edited since the snapshot the cut was found in.
 */
export function checkPruned(publicKey: KeyObject): CheckPruned {
  return (replaced) => {
    const walk = ChainWalk.from(replaced, publicKey);
    if (!(walk instanceof ChainWalk)) throw new AuditChainBrokenError(walk);
    return (record) => {
      const bad = walk.step(record);
      if (bad !== undefined) throw new AuditChainBrokenError(bad);
    };
  };
}

/** The checkpoint and the last record older than `before` in one snapshot, the records up to it verified. */
async function oldPrefix(
  { checkpoint, scan }: AuditSnapshot,
  before: Date,
  publicKey: KeyObject,
): Promise<{ earlier: AuditCheckpoint | undefined; last: AuditRecord | undefined }> {
  const cutoff = before.getTime();
  let last: AuditRecord | undefined;
  async function* prefix(): AsyncGenerator<AuditRecord> {
    for await (const record of scan(PAGE_SIZE)) {
      if (!(Date.parse(record.time) < cutoff)) return;
      last = record;
      yield record;
    }
  }
  const verdict = await verifyAuditChain(prefix(), checkpoint, publicKey);
  if (!verdict.ok) throw new AuditChainBrokenError(verdict);
  return { earlier: checkpoint, last };
}

/** "30d", "12h" or a bare number of days, as a cut-off before `now`. */
export function cutoffBefore(age: string, now: Date): Date {
  const match = /^(\d+(?:\.\d+)?)\s*(d|h)?$/.exec(age.trim());
  if (match === null) throw new Error(`"${age}" is not an age: give days ("30d" or "30") or hours ("12h")`);
  const hours = Number(match[1]) * (match[2] === 'h' ? 1 : 24);
  return new Date(now.getTime() - hours * 3_600_000);
}
