/**
 * Rows as both databases hand them back, and the records they stand for. PostgreSQL
 * returns BIGINT columns as strings (they may pass 2^53), hence `number | string`; a seq
 * never gets that far, so `Number` is exact.
 */
import {
  SCOPES,
  type AuditCheckpoint,
  type AuditQuery,
  type AuditRecord,
  type KeyRecord,
  type Scope,
  type SealedRecord,
} from './store.ts';
import type { TenantRecord } from './store.ts';

export interface TenantRow {
  readonly name: string;
  readonly priority: number | null;
  readonly weight: number;
  readonly created_at: string;
}

export interface KeyRow {
  readonly id: string;
  readonly tenant: string;
  readonly scopes: string;
  readonly models: string | null;
  readonly hash: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
}

export interface AuditRow {
  readonly seq: number | string;
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly tenant: string | null;
  readonly details: string;
  readonly prev_hash: string;
  readonly hash: string;
}

export interface CheckpointRow {
  readonly seq: number | string;
  readonly hash: string;
  readonly pruned_at: string;
  readonly signature: string;
}

export const KEY_COLUMNS = 'id, tenant, scopes, models, hash, created_at, expires_at, revoked_at';
export const AUDIT_COLUMNS = 'seq, time, actor, action, tenant, details, prev_hash, hash';

export function tenantFromRow(row: TenantRow): TenantRecord {
  return { name: row.name, priority: row.priority, weight: row.weight, createdAt: row.created_at };
}

export function tenantParams(tenant: TenantRecord): [string, number | null, number, string] {
  return [tenant.name, tenant.priority, tenant.weight, tenant.createdAt];
}

export function keyFromRow(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    scopes: parseScopes(row.scopes, row.id),
    models: row.models === null ? null : parseStrings(row.models, `models of key ${row.id}`),
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/** In KEY_COLUMNS order. */
export function keyParams(key: KeyRecord): Array<string | null> {
  const models = key.models === null ? null : JSON.stringify(key.models);
  return [
    key.id,
    key.tenant,
    JSON.stringify(key.scopes),
    models,
    key.hash,
    key.createdAt,
    key.expiresAt,
    key.revokedAt,
  ];
}

export function auditFromRow(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    time: row.time,
    actor: row.actor,
    action: row.action,
    tenant: row.tenant,
    details: parseDetails(row.details, row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** In AUDIT_COLUMNS order; the details as the text that was hashed, so a reader gets back exactly what was sealed. */
export function auditParams(record: SealedRecord): Array<string | number | null> {
  const { seq, time, actor, action, tenant, detailsJson, prevHash, hash } = record;
  return [seq, time, actor, action, tenant, detailsJson, prevHash, hash];
}

export function checkpointFromRow(row: CheckpointRow): AuditCheckpoint {
  return { seq: Number(row.seq), hash: row.hash, prunedAt: row.pruned_at, signature: row.signature };
}

/**
 * The WHERE clause, order and limit of an audit query, with `placeholder(n)` spelling the
 * n-th parameter (`?` for SQLite, `$n` for PostgreSQL).
 */
export function auditQuerySql(
  query: AuditQuery,
  placeholder: (index: number) => string,
): { sql: string; params: Array<string | number> } {
  const conditions: string[] = [];
  const params: Array<string | number> = [];
  const add = (condition: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(`${condition} ${placeholder(params.length)}`);
  };
  add('time >=', query.from);
  add('time <', query.to);
  add('actor =', query.actor);
  add('action =', query.action);
  add('tenant =', query.tenant);
  add('seq >', query.afterSeq);
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  params.push(Math.max(0, Math.floor(query.limit)));
  const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_records${where} ORDER BY seq LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

/** Every record in seq order, `pageSize` at a time: a long chain is never held whole. */
export async function* auditPages(
  queryAudit: (query: AuditQuery) => Promise<AuditRecord[]>,
  pageSize: number,
): AsyncIterable<AuditRecord> {
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`a page holds 1 record or more, not ${pageSize}`);
  let afterSeq = -1;
  for (;;) {
    const page = await queryAudit({ afterSeq, limit: pageSize });
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    afterSeq = last.seq;
  }
}

function parseScopes(text: string, keyId: string): Scope[] {
  const known: readonly string[] = SCOPES;
  const scopes = parseStrings(text, `scopes of key ${keyId}`);
  const unknown = scopes.find((scope) => !known.includes(scope));
  if (unknown !== undefined) throw new Error(`key ${keyId} has an unknown scope "${unknown}" in the store`);
  return scopes.filter((scope): scope is Scope => known.includes(scope));
}

function parseStrings(text: string, what: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`the ${what} in the store are not a JSON array of strings: ${text}`);
  }
  return value;
}

function parseDetails(text: string, seq: number | string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`the details of audit record ${seq} are not a JSON object: ${text}`);
  }
  return { ...value };
}
