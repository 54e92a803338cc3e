/**
 * Rows as both databases hand them back, and the records they stand for. PostgreSQL
 * returns BIGINT columns as strings (they may pass 2^53), hence `number | string`; a seq
 * never gets that far, so `Number` is exact.
 */
import { SCOPES, type AuditCheckpoint, type KeyRecord, type Scope, type TenantRecord } from './store.ts';

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

export interface CheckpointRow {
  readonly seq: number | string;
  readonly hash: string;
  readonly pruned_at: string;
  readonly signature: string;
}

export const KEY_COLUMNS = 'id, tenant, scopes, models, hash, created_at, expires_at, revoked_at';

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

export function checkpointFromRow(row: CheckpointRow): AuditCheckpoint {
  return { seq: Number(row.seq), hash: row.hash, prunedAt: row.pruned_at, signature: row.signature };
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
