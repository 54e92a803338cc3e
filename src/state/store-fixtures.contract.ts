/** Records and checks the Store contract's cases share. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import { StoreConflictError } from './store.ts';
import type {
  AuditEntry,
  AuditRecord,
  ChainHead,
  CheckPruned,
  KeyRecord,
  SealEntries,
  SealedRecord,
  Store,
  TenantRecord,
} from './store.ts';

/** Opens a store on a fresh database that closes when the test `t` ends. */
export type OpenForTest = (t: TestContext) => Promise<Store>;

export function tenant(name: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return { name, priority: null, weight: 1, createdAt: '2026-01-01T00:00:00.000Z', ...overrides };
}

export function key(id: string, tenantName: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id,
    tenant: tenantName,
    scopes: ['infer'],
    models: null,
    hash: `sha256:salt-${id}:${'ab'.repeat(32)}`,
    createdAt: '2026-01-02T00:00:00.000Z',
    expiresAt: null,
    revokedAt: null,
    ...overrides,
  };
}

/** An assert.rejects check: a StoreConflictError whose message matches. */
export function conflict(message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof StoreConflictError, `expected a StoreConflictError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  };
}

/** The n-th entry of a test: a minute apart from 2026-01-01, fields from `overrides`. */
export function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    actor: 'cli',
    action: 'inference',
    tenant: null,
    details: { n },
    ...overrides,
  };
}

const GENESIS = '0'.repeat(64);

/** The simplest chain: each hash is sha256 of the previous hash and the record's JSON. */
export function chainHash(prevHash: string, seq: number, entry: AuditEntry): string {
  return createHash('sha256')
    .update(prevHash + JSON.stringify({ seq, ...entry }))
    .digest('hex');
}

/** Seals `entries` onto whatever head the store hands over, as src/audit would. */
export function chainSeal(entries: readonly AuditEntry[]): SealEntries {
  return (head) => {
    let previous = head;
    return entries.map((item) => {
      const seq = (previous?.seq ?? 0) + 1;
      const prevHash = previous?.hash ?? GENESIS;
      const hash = chainHash(prevHash, seq, item);
      const { time, actor, action, tenant, details } = item;
      const hashed = JSON.stringify({ action, actor, details, prevHash, seq, tenant, time });
      const detailsJson = JSON.stringify(details);
      const record: SealedRecord = { seq, time, actor, action, tenant, detailsJson, prevHash, hash, hashed };
      previous = record;
      return record;
    });
  };
}

/**
 * What src/audit checks inside a prune, for the simplest chain: each record follows the
 * replaced checkpoint or the record before, and is sealed over its own content.
 */
export const chainCheck: CheckPruned = (replaced) => {
  let previous: ChainHead = replaced ?? { seq: 0, hash: GENESIS };
  return (record) => {
    const { seq, prevHash, hash, ...item } = record;
    if (seq !== previous.seq + 1 || prevHash !== previous.hash) {
      throw new Error(`audit record ${seq} does not follow ${previous.seq}`);
    }
    if (hash !== chainHash(prevHash, seq, item)) throw new Error(`audit record ${seq} is not sealed over its content`);
    previous = record;
  };
};

/** Asserts `records` form one unbroken chain: seqs one apart, each linked to and sealed over the one before. */
export function assertChain(records: readonly AuditRecord[]): void {
  records.forEach((record, index) => {
    const { seq, prevHash, hash, ...item } = record;
    const before = records[index - 1];
    if (before !== undefined) {
      assert.equal(seq, before.seq + 1, `record ${seq} follows record ${before.seq}`);
      assert.equal(prevHash, before.hash, `record ${seq} links to the hash of record ${before.seq}`);
    }
    assert.equal(hash, chainHash(prevHash, seq, item), `record ${seq} is sealed over its own content`);
  });
}

/** Every record one snapshot's scan reads, `pageSize` a read. */
export async function scanned(store: Pick<Store, 'auditSnapshot'>, pageSize: number): Promise<AuditRecord[]> {
  return store.auditSnapshot(async ({ scan }) => {
    const records: AuditRecord[] = [];
    for await (const record of scan(pageSize)) records.push(record);
    return records;
  });
}
