/**
 * What a store checks before it writes, the same for every database. For the audit chain
 * the store cannot verify the hashes (src/audit owns how they are made), but it can refuse
 * a write that would leave a gap, a fork or a checkpoint that contradicts the records.
 */
import { StoreConflictError, type AuditCheckpoint, type ChainHead, type SealedRecord } from './store.ts';

/** A tenant is deleted only once no key can act for it; its revoked keys go with it. */
export function tenantHasKeys(name: string, unrevoked: number): StoreConflictError {
  return new StoreConflictError(
    `tenant "${name}" still has ${unrevoked} unrevoked key${unrevoked === 1 ? '' : 's'}: revoke them first`,
  );
}

/** Throws unless `records` continue the chain from `head`: each seq one more, each prevHash the hash before. */
export function checkSealed(head: ChainHead | undefined, records: readonly SealedRecord[]): void {
  let previous = head;
  for (const record of records) {
    if (!Number.isSafeInteger(record.seq) || record.seq < 0) {
      throw new Error(`the seal gave audit record seq ${record.seq}: a seq is a whole number, 0 or more`);
    }
    if (previous !== undefined && record.seq !== previous.seq + 1) {
      throw new Error(`the seal gave audit record seq ${record.seq} after seq ${previous.seq}: the chain has no gaps`);
    }
    if (previous !== undefined && record.prevHash !== previous.hash) {
      throw new Error(
        `the seal gave audit record ${record.seq} a prevHash that is not the hash of record ${previous.seq}`,
      );
    }
    previous = record;
  }
}

/**
 * Throws unless `checkpoint` may replace `current`: it does not move back, it lies within
 * the chain (at most the head), and its hash is the hash of the record at its seq (or of
 * the current checkpoint, when it is that checkpoint re-signed).
 */
export function checkPrune(
  checkpoint: AuditCheckpoint,
  current: AuditCheckpoint | undefined,
  head: ChainHead | undefined,
  hashAtSeq: string | undefined,
): void {
  if (current !== undefined && checkpoint.seq < current.seq) {
    throw new Error(`a checkpoint at seq ${checkpoint.seq} would move the audit checkpoint back from ${current.seq}`);
  }
  if (head === undefined || checkpoint.seq > head.seq) {
    throw new Error(
      `a checkpoint at seq ${checkpoint.seq} is past the end of the audit chain (${head?.seq ?? 'empty'})`,
    );
  }
  const expected = hashAtSeq ?? (current?.seq === checkpoint.seq ? current.hash : undefined);
  if (checkpoint.hash !== expected) {
    throw new Error(`a checkpoint at seq ${checkpoint.seq} does not carry the hash of the audit record at that seq`);
  }
}
