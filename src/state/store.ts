/**
 * The state that lasts (tenants, API keys, the audit log, the quarantine of rejected
 * payloads, the cost ledger's sums, remote models' pinned references) behind one interface: SQLite by default (a file under `state.directory`),
 * PostgreSQL when `database.url` is set.
 * Every method is async so that both implementations fit; each write is one transaction,
 * so a failure leaves nothing half-applied. One contract suite (store.contract.ts) runs
 * against both.
 */
import type {
  AuditCheckpoint,
  AuditQuery,
  AuditRecord,
  AuditSnapshot,
  ChainHead,
  CheckPruned,
  SealEntries,
  SealedRecord,
} from './audit-records.ts';

// The audit chain's types live in audit-records.ts; importers reach them here as before.
export type * from './audit-records.ts';
export { AuditSegmentError } from './audit-records.ts';

/** What an API key may do; every route declares the one it needs (src/http/route-scopes.ts). */
export const SCOPES = ['infer', 'read', 'metrics', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TenantRecord {
  readonly name: string;
  /** The highest priority level its requests may use; null: the model's default. */
  readonly priority: number | null;
  readonly weight: number;
  /** ISO 8601. */
  readonly createdAt: string;
}

export interface KeyRecord {
  /** The public part of the key (`sk-sluice-<id>-…`): names the key in lists, logs and the audit log. */
  readonly id: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  /** Models the key may call; null: every model. */
  readonly models: readonly string[] | null;
  /** Salted hash of the secret, as written by src/tenancy/api-keys.ts ("sha256:<salt>:<hex>"). */
  readonly hash: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

/** One rule a quarantined request broke: the item it concerns (null: the request as a whole), where, and how. */
export interface QuarantineFailure {
  readonly item: number | null;
  readonly field: string;
  readonly rule: string;
}

/** A request refused for its data, kept to diagnose the release that sent it. Already redacted. */
export interface QuarantineEntry {
  readonly model: string;
  readonly version: string;
  /** ISO 8601 with milliseconds, UTC (`toISOString`): expiry compares it as text. */
  readonly time: string;
  /** The error code the request was answered with. */
  readonly code: string;
  /** The first failures (a bounded few); `failuresTotal` counts them all. */
  readonly failures: readonly QuarantineFailure[];
  readonly failuresTotal: number;
  /** The request's body as its protocol wrote it, redacted: plain JSON. */
  readonly payload: unknown;
}

/** An entry once stored: its id orders entries (newer is larger) and pages lists. */
export interface QuarantineRecord extends QuarantineEntry {
  readonly id: number;
}

export interface QuarantineQuery {
  readonly model: string;
  readonly version?: string;
  /** ISO 8601: entries older than this have expired and are never listed. */
  readonly since: string;
  /** Only entries with a smaller id (paging back). */
  readonly beforeId?: number;
  /** At most this many, newest first. */
  readonly limit: number;
}

/** What the cost ledger sums by (src/cost/ledger): one row per tenant, key, model, version, day and unit. */
export interface UsageKey {
  readonly tenant: string;
  /** The API key's id; "anonymous" for a caller without one (auth off). */
  readonly key: string;
  readonly model: string;
  readonly version: string;
  /** The UTC day, YYYY-MM-DD: compared as text. */
  readonly day: string;
  /** The cost's unit: a local model's `cost.unit`, a remote model's price currency, or "unpriced". */
  readonly unit: string;
}

export interface UsageSums {
  readonly requests: number;
  readonly items: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Billionths of the unit, whole: sums are exact whatever order replicas add them in. */
  readonly costNanos: number;
  readonly cacheHits: number;
}

export type UsageRow = UsageKey & UsageSums;

/** What usage may be grouped by; the unit always is (costs in different units never add up). */
export const USAGE_DIMENSIONS = ['tenant', 'key', 'model', 'version', 'day'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

export interface UsageQuery {
  readonly tenant?: string;
  readonly key?: string;
  readonly model?: string;
  /** Days, YYYY-MM-DD, both inclusive. */
  readonly from?: string;
  readonly to?: string;
  /** In the order given; the rows come sorted by them, then by unit. */
  readonly groupBy: readonly UsageDimension[];
}

/** One group's sums: the values of the dimensions grouped by, and its unit. */
export type UsageTotal = Partial<Pick<UsageKey, UsageDimension>> & Pick<UsageKey, 'unit'> & UsageSums;

/**
 * A remote model's reference, pinned by an operator (src/quality/remote/remote-monitor.ts),
 * kept so that it outlasts a restart and, on PostgreSQL, reaches every replica when it starts.
 */
export interface PinnedReference {
  readonly model: string;
  readonly version: string;
  /** ISO 8601 with milliseconds, UTC. */
  readonly pinnedAt: string;
  /** Who pinned it: a key id, or "anonymous" (auth off). */
  readonly pinnedBy: string;
  /** The reference profile (src/quality/reference-profile.ts's format) as plain JSON: the store does not read it. */
  readonly profile: unknown;
}

/**
 * Thrown by a write that would break a rule of the data: a tenant or key that exists, a key
 * whose tenant does not, the deletion of a tenant that still has live keys.
 */
export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export interface Store {
  /** "sqlite" or "postgres", for logs and /admin. */
  readonly kind: string;

  /** StoreConflictError when the name exists. */
  createTenant(tenant: TenantRecord): Promise<void>;
  getTenant(name: string): Promise<TenantRecord | undefined>;
  /** By name. */
  listTenants(): Promise<TenantRecord[]>;
  /**
   * Removes a tenant and its revoked keys; StoreConflictError while it has a key not revoked
   * (an expired one included), false when there is no such tenant.
   */
  deleteTenant(name: string): Promise<boolean>;

  /** StoreConflictError when the id exists or the tenant does not. */
  insertKey(key: KeyRecord): Promise<void>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** Oldest first (createdAt, then id). */
  listKeys(tenant?: string): Promise<KeyRecord[]>;
  /** Sets revokedAt (once: a revoked key stays revoked at its first time), returns the key; undefined when none. */
  revokeKey(id: string, at: string): Promise<KeyRecord | undefined>;
  /**
   * In one transaction: inserts `replacement` and revokes `id` at `at`, returning the old key
   * as revoked; undefined (and nothing written) when `id` does not exist or is revoked. When
   * the replacement cannot be inserted (insertKey's conflicts), nothing is written either.
   */
  rotateKey(id: string, replacement: KeyRecord, at: string): Promise<KeyRecord | undefined>;
  /**
   * Changes whenever a key is inserted, revoked or rotated (or a tenant's deletion takes its
   * revoked keys), never on a read: replicas poll it to see another replica's revocation at once.
   */
  keysVersion(): Promise<string>;
  /**
   * Where the database can tell (PostgreSQL's LISTEN/NOTIFY): calls `onChange` soon after any
   * process commits a key change; resolves to the function that stops listening. Absent on
   * SQLite, where polling keysVersion is the only way to hear another process.
   */
  watchKeys?(onChange: () => void): Promise<() => Promise<void>>;

  /** Appends in one transaction with the chain locked; returns the records written. */
  appendAudit(seal: SealEntries): Promise<readonly SealedRecord[]>;
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Opens a snapshot of the audit chain (its checkpoint and records as they stand now), hands
   * it to `read`, and closes it once `read` settles. Appends and prunes go on meanwhile, and
   * the snapshot sees none of them.
   */
  auditSnapshot<T>(read: (snapshot: AuditSnapshot) => Promise<T>): Promise<T>;
  auditCheckpoint(): Promise<AuditCheckpoint | undefined>;
  /**
   * In one transaction: deletes every record up to checkpoint.seq and stores the checkpoint in
   * place of any earlier one; returns how many records went. Refuses a checkpoint that moves
   * back, lies past the head, or whose hash is not the one at its seq. Before it deletes, it
   * hands `check` every record it removes and the rest of the segment it cuts, and throws
   * AuditSegmentError when one of those segments' columns or key rows disagree with its
   * lines: a refused prune changes nothing, so it cannot launder tampering.
   */
  pruneAudit(checkpoint: AuditCheckpoint, check: CheckPruned): Promise<number>;
  /** The current end of the chain (the last record, else the checkpoint), or undefined. */
  auditHead(): Promise<ChainHead | undefined>;

  /**
   * In one transaction: inserts the entries, then deletes each of their models' oldest
   * entries beyond `maxPerModel` (by id, every version together).
   */
  addQuarantine(entries: readonly QuarantineEntry[], maxPerModel: number): Promise<void>;
  /** A model's entries, newest first (by id). */
  listQuarantine(query: QuarantineQuery): Promise<QuarantineRecord[]>;
  /** Deletes a model's entries (of one version, when given); returns how many went. */
  clearQuarantine(model: string, version?: string): Promise<number>;
  /** Deletes every entry older than `before` (ISO 8601); returns how many went. */
  pruneQuarantine(before: string): Promise<number>;

  /** In one transaction: adds each row's sums into the stored row of its key (made at zero when missing). */
  addUsage(rows: readonly UsageRow[]): Promise<void>;
  /** The sums of the rows the filters keep, one per group (groupBy and unit), sorted by them. */
  queryUsage(query: UsageQuery): Promise<UsageTotal[]>;

  /** Keeps a remote model version's pinned reference in place of any it had. */
  putReference(reference: PinnedReference): Promise<void>;
  /** A remote model version's pinned reference; undefined when none was pinned. */
  getReference(model: string, version: string): Promise<PinnedReference | undefined>;

  close(): Promise<void>;
}
